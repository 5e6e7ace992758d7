import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

export interface GeneratedSite {
  url: string;
  close(): Promise<void>;
  /** Requests served, by path. */
  hits: Map<string, number>;
  /** Every request in arrival order: its path and arrival time (ms since epoch). */
  requests: Array<{ path: string; at: number }>;
  /** Every page path of the site. */
  paths: string[];
}

export interface GeneratedSiteOptions {
  /** Listing pages (`/item/<n>`); they hang off `/page/<k>` index pages of 50. */
  listings: number;
  /** Delay before each response (ms). */
  delayMs?: number;
  /** Extra links per listing to other listings (a denser graph). */
  linksPerListing?: number;
  /** Approximate size of each listing's body text (bytes). */
  bodyBytes?: number;
  /** Every n-th listing sells mephedrone (a lead); the others sell furniture. 0: none. */
  leadEvery?: number;
  /** Scripts each listing loads from the site (`/js/<k>.js`): requests a browser render makes itself. */
  scripts?: number;
}

const FILLER =
  'Доставка по городу в течение дня. Состояние отличное, без дефектов. Самовывоз возможен. Пишите в личные сообщения. ';

/** A generated shop on 127.0.0.1: `/` → `/page/<k>` → `/item/<n>`, deterministic, for crawl and fault tests. */
export async function startGeneratedSite(opts: GeneratedSiteOptions): Promise<GeneratedSite> {
  const { listings, delayMs = 0, linksPerListing = 0, bodyBytes = 600, leadEvery = 0, scripts = 0 } = opts;
  const scriptTags = Array.from({ length: scripts }, (_, k) => `<script src="/js/${k}.js"></script>`).join(
    '',
  );
  const perPage = 50;
  const pageCount = Math.ceil(listings / perPage);
  const hits = new Map<string, number>();
  const requests: Array<{ path: string; at: number }> = [];
  const paths = [
    '/',
    ...Array.from({ length: pageCount }, (_, k) => `/page/${k}`),
    ...Array.from({ length: listings }, (_, n) => `/item/${n}`),
  ];
  const filler = FILLER.repeat(Math.ceil(bodyBytes / FILLER.length)).slice(0, bodyBytes);

  const render = (path: string): string | null => {
    if (path === '/') {
      return page(
        'Shop',
        Array.from({ length: pageCount }, (_, k) => `<a href="/page/${k}">Page ${k}</a>`).join('\n'),
      );
    }
    let m = /^\/page\/(\d+)$/.exec(path);
    if (m) {
      const k = Number(m[1]);
      if (k >= pageCount) return null;
      const items = [];
      for (let n = k * perPage; n < Math.min(listings, (k + 1) * perPage); n++)
        items.push(`<a href="/item/${n}">Item ${n}</a>`);
      return page(`Page ${k}`, items.join('\n'));
    }
    m = /^\/item\/(\d+)$/.exec(path);
    if (m) {
      const n = Number(m[1]);
      if (n >= listings) return null;
      const lead = leadEvery > 0 && n % leadEvery === 0;
      const text = lead
        ? `Мефедрон кристалл 1г — 3500₽, закладки по городу, пишите в телеграм @mef_shop_${Math.floor(n / leadEvery) % 5}. ${filler}`
        : `Продаю диван и стол, ${n} тысяч тенге. ${filler}`;
      const links = Array.from(
        { length: linksPerListing },
        (_, j) => `<a href="/item/${(n * 7 + j * 13 + 1) % listings}">see also</a>`,
      );
      return page(
        `Item ${n}`,
        `${scriptTags}<article class="listing"><h1 class="title">Item ${n}</h1><div class="description">${text}</div></article>${links.join('\n')}`,
      );
    }
    return null;
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    requests.push({ path, at: Date.now() });
    const send = () => {
      if (/^\/js\/\d+\.js$/.test(path)) {
        res.writeHead(200, { 'content-type': 'application/javascript' }).end('window.seen = 1;');
        return;
      }
      const body = render(path);
      if (body === null) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    hits,
    requests,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}
