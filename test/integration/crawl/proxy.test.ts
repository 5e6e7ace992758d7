import http from 'node:http';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeHttpDispatchers, fetchHttp } from '../../../src/crawl/http/index.ts';
import { NonRetryableError, TransientError } from '../../../src/errors.ts';
import type { FixtureServer } from '../../helpers/fixture-server.ts';
import { startServer } from '../../helpers/fixture-server.ts';
import { HOSTILE_PATHS as P, RUSSIAN_TEXT, hostileRoutes } from '../../helpers/hostile-routes.ts';
import type { SocksProxy } from '../../helpers/socks-proxy.ts';
import { deadPort, startSocksProxy } from '../../helpers/socks-proxy.ts';

const ONION = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion';

let srv: FixtureServer;
let socks: SocksProxy;

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the fetch to fail');
}

/** A minimal HTTP CONNECT proxy that sends every tunnel to the fixture server. */
async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket) => {
    tunnels.push(req.url ?? '');
    const upstream = net.connect(srv.port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  srv = await startServer(hostileRoutes());
  // The proxy "resolves" every name (and .onion) to the fixture server.
  socks = await startSocksProxy({
    route: (host, port) => (net.isIP(host) ? { host, port } : { host: '127.0.0.1', port: srv.port }),
  });
});

beforeEach(async () => {
  await closeHttpDispatchers(); // fresh connections, so the proxy sees each test's tunnels
  socks.requests.length = 0;
  srv.hits.length = 0;
});

afterAll(async () => {
  await closeHttpDispatchers();
  await socks.close();
  await srv.close();
});

describe('SOCKS5 proxy', () => {
  it('socks5h sends the host name to the proxy, unresolved', async () => {
    const page = await fetchHttp(`http://market.example:${srv.port}${P.win1251}`, { proxy: socks.url });
    expect(page.status).toBe(200);
    expect(page.text).toContain(RUSSIAN_TEXT);
    expect(socks.requests).toEqual([
      expect.objectContaining({ host: 'market.example', port: srv.port, addressType: 'domain' }),
    ]);
    expect(srv.hits).toHaveLength(1);
    expect(srv.hits[0]?.headers['host']).toBe(`market.example:${srv.port}`);
  });

  it('reaches a .onion host only through socks5h, name as sent', async () => {
    const page = await fetchHttp(`http://${ONION}${P.ok}`, { proxy: socks.url });
    expect(page.status).toBe(200);
    expect(socks.requests.map((r) => [r.host, r.port, r.addressType])).toEqual([[ONION, 80, 'domain']]);
  });

  it('reuses the tunnel for later requests to the same origin (keep-alive)', async () => {
    await fetchHttp(`http://market.example:${srv.port}${P.ok}`, { proxy: socks.url });
    await fetchHttp(`http://market.example:${srv.port}${P.gzip}`, { proxy: socks.url });
    expect(srv.hits.map((h) => h.path)).toEqual([P.ok, P.gzip]);
    expect(socks.requests).toHaveLength(1);
  });

  it('refuses .onion over socks5 (local DNS) and never contacts the proxy', async () => {
    const err = await failure(
      fetchHttp(`http://${ONION}/`, { proxy: socks.url.replace('socks5h:', 'socks5:') }),
    );
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('proxy');
    expect(socks.requests).toHaveLength(0);
  });

  it('socks5 resolves locally, sends the address, and applies the SSRF guard to it', async () => {
    const proxy = socks.url.replace('socks5h:', 'socks5:');
    const refused = await failure(fetchHttp(`http://localhost:${srv.port}${P.ok}`, { proxy }));
    expect((refused as NonRetryableError).reason).toBe('private-network');
    expect(socks.requests).toHaveLength(0);

    const page = await fetchHttp(`http://localhost:${srv.port}${P.ok}`, { proxy, allowPrivateNetwork: true });
    expect(page.status).toBe(200);
    expect(socks.requests).toHaveLength(1);
    expect(socks.requests[0]?.addressType).not.toBe('domain');
    expect(['127.0.0.1', '0:0:0:0:0:0:0:1']).toContain(socks.requests[0]?.host);
  });

  it('refuses a private literal IP even through a proxy', async () => {
    const err = await failure(fetchHttp(`http://127.0.0.1:${srv.port}${P.ok}`, { proxy: socks.url }));
    expect((err as NonRetryableError).reason).toBe('private-network');
    expect(socks.requests).toHaveLength(0);
    expect(srv.hits).toHaveLength(0);
  });

  it('a dead proxy fails with TransientError(proxy) and never goes direct', async () => {
    const port = await deadPort();
    const err = await failure(
      fetchHttp(`http://127.0.0.1:${srv.port}${P.ok}`, {
        proxy: `socks5h://127.0.0.1:${port}`,
        allowPrivateNetwork: true,
        connectTimeoutMs: 1_000,
      }),
    );
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('proxy');
    expect(srv.hits).toHaveLength(0);
  });

  it('a proxy that cannot reach the target fails with TransientError(proxy)', async () => {
    const port = await deadPort();
    const err = await failure(
      fetchHttp(`http://127.0.0.1:${port}/`, { proxy: socks.url, allowPrivateNetwork: true }),
    );
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('proxy');
  });
});

describe('HTTP CONNECT proxy', () => {
  it('tunnels through the proxy with the host name as sent', async () => {
    const proxy = await startConnectProxy();
    try {
      const page = await fetchHttp(`http://market.example:${srv.port}${P.ok}`, { proxy: proxy.url });
      expect(page.status).toBe(200);
      expect(proxy.tunnels).toEqual([`market.example:${srv.port}`]);
      expect(srv.hits).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('a dead HTTP proxy fails with TransientError(proxy) and never goes direct', async () => {
    const port = await deadPort();
    const err = await failure(
      fetchHttp(`http://127.0.0.1:${srv.port}${P.ok}`, {
        proxy: `http://127.0.0.1:${port}`,
        allowPrivateNetwork: true,
      }),
    );
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('proxy');
    expect(srv.hits).toHaveLength(0);
  });
});
