/**
 * Ready-made route handlers for `startServer`: the misbehaving servers a crawler meets on real
 * drug shops. Factories return a handler (some with `stats` to assert what the server managed to
 * send); `hostileRoutes()` mounts the lot on fixed paths (listed in `HOSTILE_PATHS`).
 */
import type { ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import type { RouteHandler } from './fixture-server.ts';

/** Russian text used by the Cyrillic charset pages (a pangram). */
export const RUSSIAN_TEXT = 'Съешь же ещё этих мягких французских булок, да выпей чаю';
/** Chinese text used by the gb18030 page. */
export const CHINESE_TEXT = '欢迎光临本店，价格优惠，请联系客服';

export function htmlPage(title: string, body: string, head = ''): string {
  return `<!doctype html><html><head>${head}<title>${title}</title></head><body>${body}</body></html>`;
}

/** 200 (or `status`) with an HTML body. */
export function html(body: string, status = 200, headers: Record<string, string> = {}): RouteHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(body);
  };
}

/** Any status, body and headers; the body is sent as bytes. */
export function raw(
  status: number,
  headers: Record<string, string>,
  body: Buffer | string = '',
): RouteHandler {
  return (_req, res) => {
    res.writeHead(status, headers).end(body);
  };
}

export function redirectTo(location: string, status = 302): RouteHandler {
  return (_req, res) => {
    res.writeHead(status, { location, 'content-type': 'text/html' }).end(`<a href="${location}">moved</a>`);
  };
}

/** `${prefix}1` → `${prefix}2` → … → `${prefix}${hops}` → `target`. */
export function redirectChain(prefix: string, hops: number, target: string): Record<string, RouteHandler> {
  const routes: Record<string, RouteHandler> = {};
  for (let i = 1; i <= hops; i++)
    routes[`${prefix}${i}`] = redirectTo(i === hops ? target : `${prefix}${i + 1}`);
  return routes;
}

/** 429/503 with `Retry-After` (a number of seconds, or an HTTP date when `asDate`). */
export function retryAfter(status: 429 | 503, seconds: number, asDate = false): RouteHandler {
  return (_req, res) => {
    const value = asDate ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds);
    res.writeHead(status, { 'retry-after': value, 'content-type': 'text/html' }).end('slow down');
  };
}

export interface StreamStats {
  bytesSent: number;
  /** The server wrote the whole body. */
  completed: boolean;
  /** The client went away before the body was complete. */
  aborted: boolean;
}

type StatsHandler = RouteHandler & { stats: StreamStats };

function withStats(fn: (res: ServerResponse, stats: StreamStats) => Promise<void>): StatsHandler {
  const stats: StreamStats = { bytesSent: 0, completed: false, aborted: false };
  const handler = ((_req, res) => {
    res.on('close', () => {
      if (!stats.completed) stats.aborted = true;
    });
    return fn(res, stats);
  }) as StatsHandler;
  handler.stats = stats;
  return handler;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Headers at once, then `chunk` every `intervalMs`, `count` times (default: forever). */
export function slowBody(
  intervalMs: number,
  count = Number.POSITIVE_INFINITY,
  chunk = '<p>drip</p>',
): StatsHandler {
  return withStats(async (res, stats) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write('<html><body>');
    for (let i = 0; i < count && !res.destroyed; i++) {
      await sleep(intervalMs);
      if (res.destroyed) return;
      res.write(chunk);
      stats.bytesSent += chunk.length;
    }
    if (!res.destroyed) {
      stats.completed = true;
      res.end('</body></html>');
    }
  });
}

/** Status line, then one header line every `intervalMs`, never finishing the headers. */
export function slowHeaders(intervalMs: number): RouteHandler {
  return async (_req, res) => {
    const socket = res.socket;
    if (!socket) return;
    socket.write('HTTP/1.1 200 OK\r\n');
    for (let i = 0; !socket.destroyed; i++) {
      await sleep(intervalMs);
      if (socket.destroyed) return;
      socket.write(`x-drip-${i}: ${'a'.repeat(10)}\r\n`);
    }
  };
}

/** Accept the request and never answer. */
export function silent(): RouteHandler {
  return () => {};
}

/** An endless (or `totalBytes`-long) HTML body, written as fast as the client reads. */
export function hugeBody(totalBytes = Number.POSITIVE_INFINITY, chunkSize = 64 * 1024): StatsHandler {
  const chunk = Buffer.alloc(chunkSize, 'a');
  return withStats(async (res, stats) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write('<html><body>');
    while (stats.bytesSent < totalBytes && !res.destroyed) {
      const ok = res.write(chunk);
      stats.bytesSent += chunk.length;
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    if (!res.destroyed) {
      stats.completed = true;
      res.end('</body></html>');
    }
  });
}

let bomb: Buffer | undefined;
/** A gzip of 64 MiB of zeros (about 64 KB), built once. */
export function gzipBombBytes(): Buffer {
  bomb ??= zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  return bomb;
}

export function gzipBomb(): RouteHandler {
  return raw(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }, gzipBombBytes());
}

export function gzipped(body: string, encoding: 'gzip' | 'deflate' | 'deflate-raw' | 'br'): RouteHandler {
  const bytes = Buffer.from(body, 'utf8');
  const encoded =
    encoding === 'gzip'
      ? zlib.gzipSync(bytes)
      : encoding === 'deflate'
        ? zlib.deflateSync(bytes)
        : encoding === 'deflate-raw'
          ? zlib.deflateRawSync(bytes)
          : zlib.brotliCompressSync(bytes);
  const header = encoding === 'deflate-raw' ? 'deflate' : encoding;
  return raw(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': header }, encoded);
}

/** An HTML page encoded in `charset`, with `contentType` as the header (no charset unless given). */
export function encodedPage(text: string, charset: string, contentType: string, head = ''): RouteHandler {
  return raw(
    200,
    { 'content-type': contentType },
    iconv.encode(htmlPage('t', `<p>${text}</p>`, head), charset),
  );
}

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Paths mounted by {@link hostileRoutes}. */
export const HOSTILE_PATHS = {
  ok: '/ok',
  notFound: '/gone-404',
  gone: '/gone-410',
  tooMany: '/429',
  tooManyDate: '/429-date',
  unavailable: '/503',
  unavailableNoRetry: '/503-no-retry',
  serverError: '/500',
  chainStart: '/chain/1',
  loop: '/loop-a',
  gzip: '/gzip',
  deflate: '/deflate',
  deflateRaw: '/deflate-raw',
  brotli: '/br',
  bomb: '/bomb',
  win1251: '/cp1251',
  koi8r: '/koi8r',
  gb18030: '/gbk',
  metaOnly: '/meta-charset',
  httpEquiv: '/http-equiv',
  lyingCharset: '/lying-charset',
  undeclared1251: '/undeclared-1251',
  binaryAsHtml: '/binary-as-html',
  nullBytes: '/null-bytes',
  pdf: '/file.pdf',
  notFoundPdf: '/missing.pdf',
} as const;

/** Every hostile route on the paths of {@link HOSTILE_PATHS} (slow and huge routes are per-test). */
export function hostileRoutes(): Record<string, RouteHandler> {
  const P = HOSTILE_PATHS;
  const utf8Html = htmlPage('ok', '<p>hello</p>');
  return {
    [P.ok]: html(utf8Html),
    [P.notFound]: html(htmlPage('404', 'no such page'), 404),
    [P.gone]: html(htmlPage('410', 'gone'), 410),
    [P.tooMany]: retryAfter(429, 7),
    [P.tooManyDate]: retryAfter(429, 120, true),
    [P.unavailable]: retryAfter(503, 30),
    [P.unavailableNoRetry]: raw(503, { 'content-type': 'text/html' }, 'down'),
    [P.serverError]: raw(500, { 'content-type': 'text/html' }, 'boom'),
    ...redirectChain('/chain/', 3, P.ok),
    '/loop-a': redirectTo('/loop-b', 301),
    '/loop-b': redirectTo('/loop-a', 302),
    [P.gzip]: gzipped(utf8Html, 'gzip'),
    [P.deflate]: gzipped(utf8Html, 'deflate'),
    [P.deflateRaw]: gzipped(utf8Html, 'deflate-raw'),
    [P.brotli]: gzipped(utf8Html, 'br'),
    [P.bomb]: gzipBomb(),
    [P.win1251]: encodedPage(RUSSIAN_TEXT, 'win1251', 'text/html; charset=windows-1251'),
    [P.koi8r]: encodedPage(RUSSIAN_TEXT, 'koi8-r', 'text/html; charset=KOI8-R'),
    [P.gb18030]: encodedPage(CHINESE_TEXT, 'gbk', 'text/html; charset=GBK'),
    [P.metaOnly]: encodedPage(RUSSIAN_TEXT, 'win1251', 'text/html', '<meta charset="windows-1251">'),
    [P.httpEquiv]: encodedPage(
      RUSSIAN_TEXT,
      'koi8-r',
      'text/html',
      '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">',
    ),
    [P.lyingCharset]: encodedPage(RUSSIAN_TEXT, 'win1251', 'text/html; charset=utf-8'),
    [P.undeclared1251]: encodedPage(RUSSIAN_TEXT, 'win1251', 'text/html'),
    [P.binaryAsHtml]: raw(
      200,
      { 'content-type': 'text/html' },
      Buffer.concat([PNG_HEAD, Buffer.alloc(4096, 0x07), Buffer.from('IEND')]),
    ),
    [P.nullBytes]: raw(
      200,
      { 'content-type': 'text/html' },
      Buffer.from('<html><body>ab\u0000cd\u0000ef</body></html>'),
    ),
    [P.pdf]: raw(200, { 'content-type': 'application/pdf' }, Buffer.from('%PDF-1.7\n...')),
    [P.notFoundPdf]: raw(404, { 'content-type': 'application/pdf' }, Buffer.from('%PDF-1.7\n...')),
  };
}
