/**
 * The bundled demo market: a small classifieds board with drug listings, innocent look-alikes, news
 * and a calendar trap, served with node:http on 127.0.0.1 for the quick start and the tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderNotFound, renderPage, renderRobots, renderSitemap } from './render.ts';
import { demoPages, pageModel } from './site.ts';
import type { DemoPage } from './types.ts';

export interface DemoMarketOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` (the default) picks a free one. */
  port?: number;
}

export interface DemoMarket {
  /** Base URL with a trailing slash: `http://127.0.0.1:PORT/`. */
  url: string;
  port: number;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
  /** Ground truth of every page reachable from `/`. */
  pages: DemoPage[];
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'content-type': type, 'content-length': String(buf.length), ...extra });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

function handler(baseUrl: () => string, pages: DemoPage[]) {
  const sitemapPaths = pages.map((p) => p.path);
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://demo.invalid').pathname;
    } catch {
      send(req, res, 400, 'text/plain; charset=utf-8', 'Bad Request\n');
      return;
    }
    if (path === '/robots.txt') {
      send(req, res, 200, 'text/plain; charset=utf-8', renderRobots(baseUrl()));
      return;
    }
    if (path === '/sitemap.xml') {
      send(req, res, 200, 'application/xml; charset=utf-8', renderSitemap(baseUrl(), sitemapPaths));
      return;
    }
    const model = pageModel(path);
    if (!model) {
      send(req, res, 404, 'text/html; charset=utf-8', renderNotFound());
      return;
    }
    send(req, res, 200, 'text/html; charset=utf-8', renderPage(model));
  };
}

/** Start the demo market. Resolves once it listens; `close()` frees the port. */
export async function startDemoMarket(opts: DemoMarketOptions = {}): Promise<DemoMarket> {
  const host = opts.host ?? '127.0.0.1';
  const pages = demoPages();
  let url = '';
  const server = createServer(handler(() => url, pages));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    pages,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
