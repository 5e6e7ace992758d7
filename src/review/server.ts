import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type ReviewAppOptions, createReviewApp } from './app.ts';

export interface ReviewServerOptions extends ReviewAppOptions {
  /** Interface to listen on. Default `127.0.0.1` (this machine only). */
  host?: string;
  /** Port; `0` picks a free one. Default 8080. */
  port?: number;
}

export interface ReviewServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the review app over HTTP. Resolves once it listens. */
export async function startReviewServer(opts: ReviewServerOptions): Promise<ReviewServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = createReviewApp(opts);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 8080 }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
