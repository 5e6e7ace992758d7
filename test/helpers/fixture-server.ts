/**
 * A real HTTP server on 127.0.0.1, port 0, for integration tests. Routes are matched on the
 * exact path with query (`/a?b=1`), then the path alone, then the longest `prefix*` key, then
 * `*`; anything else is a plain 404. Every request is recorded in `hits`.
 *
 *   const srv = await startServer({ '/': html('<p>hi</p>'), ...hostileRoutes() });
 *   await fetchHttp(`${srv.url}/`, { allowPrivateNetwork: true });
 *   await srv.close();
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Hit {
  method: string;
  /** Path with query, as sent. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** `Date.now()` when the request arrived. */
  at: number;
}

export interface FixtureServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  hits: Hit[];
  /** Stop listening and destroy open connections (including never-ending responses). */
  close(): Promise<void>;
}

function pickRoute(routes: Record<string, RouteHandler>, rawPath: string): RouteHandler | undefined {
  const exact = routes[rawPath];
  if (exact) return exact;
  const pathname = rawPath.split('?')[0] ?? rawPath;
  const byPath = routes[pathname];
  if (byPath) return byPath;
  let best: { len: number; handler: RouteHandler } | undefined;
  for (const [key, handler] of Object.entries(routes)) {
    if (key.length > 1 && key.endsWith('*')) {
      const prefix = key.slice(0, -1);
      if (pathname.startsWith(prefix) && (!best || prefix.length > best.len))
        best = { len: prefix.length, handler };
    }
  }
  return best?.handler ?? routes['*'];
}

export async function startServer(routes: Record<string, RouteHandler>): Promise<FixtureServer> {
  const hits: Hit[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push({ method: req.method ?? 'GET', path, headers: { ...req.headers }, at: Date.now() });
    const handler = pickRoute(routes, path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
