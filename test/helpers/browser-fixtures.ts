/**
 * Local fixture sites for the browser fetcher: a JavaScript-rendered market on 127.0.0.1:0 (the
 * listings only exist after a script fetches them), "load more" pagination, pop-ups, downloads,
 * a page that never stops computing, slow pages and redirects. Every request is logged so tests
 * can assert what reached the server; `connections` counts TCP connections (preconnects too).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export interface FixtureSite {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  /** Paths requested, in order. */
  requests: string[];
  /** TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
}

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

export function listingItems(from: number, count: number): { id: number; title: string; price: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    id: from + i,
    title: `Listing ${from + i} mephedrone 1g closed-drop`,
    price: `${(from + i) * 10} USDT`,
  }));
}

/** A page that is only a shell: the listings arrive from `/api/listings` after load. */
export function shellPage(api: string, title = 'JS market'): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<link rel="icon" href="/favicon.png"></head><body>
<div id="root"></div><img src="/img/logo.png" alt="logo">
<noscript>Please enable JavaScript</noscript>
<script>
fetch(${JSON.stringify(api)}).then((r) => r.json()).then((items) => {
  const root = document.getElementById('root');
  const ul = document.createElement('ul');
  for (const it of items) {
    const li = document.createElement('li');
    li.className = 'listing';
    li.innerHTML = '<a href="/listing/' + it.id + '">' + it.title + '</a> <span class="price">' + it.price + '</span>';
    ul.appendChild(li);
  }
  root.appendChild(ul);
  const done = document.createElement('p'); done.id = 'ready'; done.textContent = items.length + ' listings';
  root.appendChild(done);
});
</script></body></html>`;
}

/** Calls home every 100 ms for as long as it lives; `#up` appears after the first call. */
const BEACON_PAGE = `<!doctype html><html><head><title>Beacons</title></head><body><p>beacons</p>
<script>
fetch('/beacon').then(() => document.body.insertAdjacentHTML('beforeend', '<p id="up">up</p>'));
setInterval(() => fetch('/beacon'), 100);
</script></body></html>`;

const LOAD_MORE_PAGE = `<!doctype html><html><head><title>More</title></head><body>
<ul id="list"></ul><button id="more">Load more</button>
<script>
let page = 0;
async function load() {
  const items = await (await fetch('/api/more?page=' + page)).json();
  const ul = document.getElementById('list');
  for (const it of items) { const li = document.createElement('li'); li.className = 'listing'; li.textContent = it.title; ul.appendChild(li); }
  page++;
  if (page >= 4) document.getElementById('more').style.display = 'none';
}
document.getElementById('more').addEventListener('click', load);
load();
</script></body></html>`;

const POPUP_PAGE = `<!doctype html><html><body><p id="main">main page</p>
<a id="blank" href="/popup-target" target="_blank" rel="noopener">open</a>
<script>
window.open('/popup-target');
document.getElementById('blank').click();
alert('hello'); confirm('sure?');
</script></body></html>`;

const DOWNLOAD_PAGE = `<!doctype html><html><body><p>download page</p>
<a id="dl" href="/file.bin" download="file.bin">file</a>
<script>document.getElementById('dl').click();</script></body></html>`;

const HANG_PAGE = '<!doctype html><html><body><p>hang</p><script>while (true) {}</script></body></html>';

export async function startFixtureSite(host = '127.0.0.1'): Promise<FixtureSite> {
  const site: FixtureSite = {
    origin: '',
    port: 0,
    requests: [],
    connections: 0,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    site.requests.push(url.pathname + url.search);
    const html = (body: string, status = 200) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'x-fixture': 'yes' });
      res.end(body);
    };
    const json = (v: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    const p = url.pathname;
    if (p === '/shop') return html(shellPage('/api/listings'));
    if (p === '/api/listings') return json(listingItems(1, 12));
    if (p === '/more') return html(LOAD_MORE_PAGE);
    if (p === '/api/more') return json(listingItems(Number(url.searchParams.get('page') ?? 0) * 5 + 1, 5));
    if (p === '/popup') return html(POPUP_PAGE);
    if (p === '/popup-target') return html('<p>popup</p>');
    if (p === '/download') return html(DOWNLOAD_PAGE);
    if (p === '/file.bin' || p === '/attachment') {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment; filename="x.bin"',
      });
      return res.end(Buffer.alloc(1024, 7));
    }
    if (p === '/hang') return html(HANG_PAGE);
    if (p === '/beacons') return html(BEACON_PAGE);
    if (p === '/beacon') {
      res.writeHead(204);
      return res.end();
    }
    if (p === '/slow') {
      const t = setTimeout(() => html('<p>slow</p>'), Number(url.searchParams.get('ms') ?? 3000));
      res.on('close', () => clearTimeout(t));
      return;
    }
    if (p === '/redirect') {
      res.writeHead(302, { location: '/hop' });
      return res.end();
    }
    if (p === '/hop') {
      res.writeHead(301, { location: '/shop' });
      return res.end();
    }
    if (p === '/refresh-to') {
      const to = JSON.stringify(url.searchParams.get('to') ?? '/');
      return html(`<p>moving</p><script>setTimeout(() => { location.href = ${to}; }, 10);</script>`);
    }
    if (p === '/redirect-to') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      return res.end();
    }
    if (p.startsWith('/img/') || p.endsWith('.png')) {
      res.writeHead(200, { 'content-type': 'image/png' });
      return res.end(PNG_1X1);
    }
    if (p.startsWith('/listing/')) return html(`<h1>Listing ${p.slice(9)}</h1><p>${'text '.repeat(100)}</p>`);
    html('<p>not found</p>', 404);
  });
  server.on('connection', (socket: net.Socket) => {
    site.connections++;
    socket.setNoDelay(true);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  site.port = port;
  site.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  site.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return site;
}

export interface SocksProxy {
  url: string;
  /** Target host names/addresses as clients asked for them (`host:port`). */
  targets: string[];
  close(): Promise<void>;
}

/**
 * A minimal SOCKS5 proxy that records the target every client names, then connects every
 * request to `forwardTo` (a fixture server), whatever host was asked for: it stands in for Tor.
 */
export async function startSocksProxy(forwardTo: { host: string; port: number }): Promise<SocksProxy> {
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let buf = Buffer.alloc(0);
    let stage = 0;
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 0) {
        if (buf.length < 2 || buf.length < 2 + (buf[1] ?? 0)) return;
        buf = buf.subarray(2 + (buf[1] ?? 0));
        client.write(Buffer.from([5, 0]));
        stage = 1;
      }
      if (stage === 1) {
        if (buf.length < 5) return;
        const atyp = buf[3];
        let host: string;
        let end: number;
        if (atyp === 3) {
          const len = buf[4] ?? 0;
          if (buf.length < 7 + len) return;
          host = buf.subarray(5, 5 + len).toString();
          end = 5 + len;
        } else if (atyp === 1) {
          if (buf.length < 10) return;
          host = [...buf.subarray(4, 8)].join('.');
          end = 8;
        } else {
          client.destroy();
          return;
        }
        const port = buf.readUInt16BE(end);
        targets.push(`${host}:${port}`);
        stage = 2;
        client.off('data', onData);
        const rest = buf.subarray(end + 2);
        const upstream = net.connect(forwardTo.port, forwardTo.host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          if (rest.length) upstream.write(rest);
          client.pipe(upstream).pipe(client);
        });
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `socks5h://127.0.0.1:${port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (for dead-proxy tests). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
