import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttpDispatchers, fetchHttp } from '../../../src/crawl/http/index.ts';
import type { HttpFetchOptions } from '../../../src/crawl/http/index.ts';
import { NonRetryableError, RetryLaterError, TransientError } from '../../../src/errors.ts';
import type { FixtureServer } from '../../helpers/fixture-server.ts';
import { startServer } from '../../helpers/fixture-server.ts';
import {
  CHINESE_TEXT,
  HOSTILE_PATHS as P,
  RUSSIAN_TEXT,
  hostileRoutes,
  gzipped,
  hugeBody,
  raw,
  redirectChain,
  redirectTo,
  silent,
  slowBody,
  slowHeaders,
} from '../../helpers/hostile-routes.ts';

const huge = hugeBody();

/** About 3 MiB of varied words: compresses like real HTML (a few to one), not like a bomb. */
function bigHtml(): string {
  const words = ['купить', 'цена', 'доставка', 'price', 'shop', '价格', 'item', 'отзыв', 'seller', 'btc'];
  let x = 12345;
  const parts: string[] = ['<html><body>'];
  let len = 0;
  while (len < 3 * 1024 * 1024) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const w = `${words[x % words.length]}${x % 9973} `;
    parts.push(w);
    len += Buffer.byteLength(w);
  }
  return `${parts.join('')}</body></html>`;
}
const drip = slowBody(50);
const stall = slowBody(2_000, 3);
let srv: FixtureServer;
const local: HttpFetchOptions = { allowPrivateNetwork: true };

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the fetch to fail');
}

beforeAll(async () => {
  srv = await startServer({
    ...hostileRoutes(),
    '/huge': huge,
    '/sized': raw(200, { 'content-type': 'text/plain' }, Buffer.alloc(100_000, 'x')),
    '/gzip-big': gzipped(bigHtml(), 'gzip'),
    '/text-bomb': raw(
      200,
      { 'content-type': 'text/html', 'content-encoding': 'gzip' },
      gzipSync(Buffer.alloc(32 * 1024 * 1024, ' ')),
    ),
    '/drip': drip,
    '/stall': stall,
    '/slow-headers': slowHeaders(50),
    '/silent': silent(),
    ...redirectChain('/long/', 8, P.ok),
    '/to-localhost': (_req, res) => {
      res.writeHead(302, { location: `http://localhost:${srv.port}${P.ok}` }).end();
    },
    '/to-mailto': redirectTo('mailto:x@example.com'),
    '/to-frag': redirectTo(`${P.ok}#section`),
    '/bad-header': (_req, res) => {
      res.socket?.end('HTTP/1.1 200 OK\r\nx bad\u0001name: 1\r\ncontent-length: 2\r\n\r\nok');
    },
    '/echo-ua': (req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`${req.headers['user-agent']}|${req.headers['x-extra']}`);
    },
  });
});

afterAll(async () => {
  await closeHttpDispatchers();
  await srv.close();
});

describe('fetchHttp: basics', () => {
  it('returns a FetchedPage for a 200', async () => {
    const page = await fetchHttp(`${srv.url}${P.ok}`, local);
    expect(page).toMatchObject({
      url: `${srv.url}${P.ok}`,
      finalUrl: `${srv.url}${P.ok}`,
      status: 200,
      contentType: 'text/html',
      charset: 'utf-8',
      truncated: false,
      via: 'http',
      redirects: [],
    });
    expect(page.text).toContain('<p>hello</p>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.fetchedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(page.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('sends the user agent, extra headers and accept-encoding', async () => {
    const page = await fetchHttp(`${srv.url}/echo-ua`, {
      ...local,
      userAgent: 'UA/1',
      headers: { 'X-Extra': 'yes' },
    });
    expect(page.text).toBe('UA/1|yes');
    const hit = srv.hits.findLast((h) => h.path === '/echo-ua');
    expect(hit?.headers['accept-encoding']).toBe('gzip, deflate, br');
    const dflt = await fetchHttp(`${srv.url}/echo-ua`, local);
    expect(dflt.text.startsWith('Spiderweb/0.1 (+monitoring)')).toBe(true);
  });

  it('returns 404 and 410 pages for the pipeline to mark gone', async () => {
    expect((await fetchHttp(`${srv.url}${P.notFound}`, local)).status).toBe(404);
    expect((await fetchHttp(`${srv.url}${P.gone}`, local)).status).toBe(410);
    const pdf404 = await fetchHttp(`${srv.url}${P.notFoundPdf}`, local);
    expect(pdf404).toMatchObject({ status: 404, contentType: 'application/pdf', text: '' });
  });
});

describe('fetchHttp: status codes', () => {
  it('429 with Retry-After seconds → RetryLaterError with that delay', async () => {
    const err = await failure(fetchHttp(`${srv.url}${P.tooMany}`, local));
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).reason).toBe('http-status');
    expect((err as RetryLaterError).delayMs).toBe(7000);
  });

  it('429 with an HTTP-date Retry-After → the delay until then', async () => {
    const err = (await failure(fetchHttp(`${srv.url}${P.tooManyDate}`, local))) as RetryLaterError;
    expect(err).toBeInstanceOf(RetryLaterError);
    expect(err.delayMs).toBeGreaterThan(117_000);
    expect(err.delayMs).toBeLessThanOrEqual(120_000);
  });

  it('503 with Retry-After → RetryLaterError; without → TransientError', async () => {
    const a = (await failure(fetchHttp(`${srv.url}${P.unavailable}`, local))) as RetryLaterError;
    expect(a).toBeInstanceOf(RetryLaterError);
    expect(a.delayMs).toBe(30_000);
    const b = await failure(fetchHttp(`${srv.url}${P.unavailableNoRetry}`, local));
    expect(b).toBeInstanceOf(TransientError);
    expect((b as TransientError).reason).toBe('http-status');
  });

  it('500 → TransientError(http-status)', async () => {
    const err = await failure(fetchHttp(`${srv.url}${P.serverError}`, local));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('http-status');
  });

  it('a response that breaks HTTP/1.1 syntax → NonRetryableError(network), not retried', async () => {
    const err = await failure(fetchHttp(`${srv.url}/bad-header`, local));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('network');
    expect(err.message).toContain('/bad-header');
  });

  it('a refused connection → TransientError(network)', async () => {
    const closed = await startServer({});
    const url = `${closed.url}/`;
    await closed.close();
    const err = await failure(fetchHttp(url, local));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('network');
  });
});

describe('fetchHttp: redirects', () => {
  it('follows a chain and lists every hop', async () => {
    const page = await fetchHttp(`${srv.url}${P.chainStart}`, local);
    expect(page.status).toBe(200);
    expect(page.finalUrl).toBe(`${srv.url}${P.ok}`);
    expect(page.redirects).toEqual([`${srv.url}/chain/2`, `${srv.url}/chain/3`, `${srv.url}${P.ok}`]);
  });

  it('stops after maxRedirects', async () => {
    const err = await failure(fetchHttp(`${srv.url}/long/1`, local));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('redirect-limit');
    const ok = await fetchHttp(`${srv.url}/long/1`, { ...local, maxRedirects: 8 });
    expect(ok.redirects).toHaveLength(8);
  });

  it('detects a loop at once', async () => {
    const before = srv.hits.length;
    const err = await failure(fetchHttp(`${srv.url}${P.loop}`, local));
    expect((err as NonRetryableError).reason).toBe('redirect-limit');
    expect(srv.hits.length - before).toBe(2);
  });

  it('re-checks scope on every hop and never requests a refused hop', async () => {
    const checked: string[] = [];
    const checkUrl = (u: string): void => {
      checked.push(u);
      if (new URL(u).hostname !== '127.0.0.1')
        throw new NonRetryableError('out-of-scope', `${u} is out of scope`);
    };
    const before = srv.hits.length;
    const err = await failure(fetchHttp(`${srv.url}/to-localhost`, { ...local, checkUrl }));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('out-of-scope');
    expect(checked).toEqual([`http://localhost:${srv.port}${P.ok}`]);
    expect(srv.hits.length - before).toBe(1);
    const chain = await fetchHttp(`${srv.url}${P.chainStart}`, { ...local, checkUrl });
    expect(chain.status).toBe(200);
  });

  it('refuses a redirect to a non-http scheme and drops fragments', async () => {
    const err = await failure(fetchHttp(`${srv.url}/to-mailto`, local));
    expect((err as NonRetryableError).reason).toBe('invalid-url');
    const page = await fetchHttp(`${srv.url}/to-frag`, local);
    expect(page.finalUrl).toBe(`${srv.url}${P.ok}`);
  });
});

describe('fetchHttp: content', () => {
  it('refuses a disallowed content type without reading the body', async () => {
    const err = await failure(fetchHttp(`${srv.url}${P.pdf}`, local));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('content-type');
    const ok = await fetchHttp(`${srv.url}${P.pdf}`, { ...local, acceptTypes: ['application/pdf'] });
    expect(ok.status).toBe(200);
  });

  it('refuses binary served as text/html', async () => {
    const err = await failure(fetchHttp(`${srv.url}${P.binaryAsHtml}`, local));
    expect((err as NonRetryableError).reason).toBe('content-type');
  });

  it('strips NUL bytes from the text but keeps them in the body', async () => {
    const page = await fetchHttp(`${srv.url}${P.nullBytes}`, local);
    expect(page.text).toBe('<html><body>abcdef</body></html>');
    expect(page.body.includes(0)).toBe(true);
  });

  it.each([
    ['gzip', P.gzip],
    ['deflate', P.deflate],
    ['raw deflate', P.deflateRaw],
    ['brotli', P.brotli],
  ])('decodes %s', async (_name, path) => {
    const page = await fetchHttp(`${srv.url}${path}`, local);
    expect(page.text).toContain('<p>hello</p>');
    expect(page.headers['content-encoding']).toBeDefined();
  });

  it('refuses a gzip bomb', async () => {
    const t0 = Date.now();
    const err = await failure(fetchHttp(`${srv.url}${P.bomb}`, local));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('decompression-bomb');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('refuses a bomb of text as well', async () => {
    const err = await failure(fetchHttp(`${srv.url}/text-bomb`, local));
    expect((err as NonRetryableError).reason).toBe('decompression-bomb');
  });

  it('truncates a large compressed body with an ordinary ratio at maxBytes', async () => {
    const page = await fetchHttp(`${srv.url}/gzip-big`, { ...local, maxBytes: 2 * 1024 * 1024 });
    expect(page.truncated).toBe(true);
    expect(page.body.length).toBe(2 * 1024 * 1024);
    expect(page.text.startsWith('<html><body>')).toBe(true);
  });

  it('caps an endless body while streaming and aborts the request', async () => {
    const page = await fetchHttp(`${srv.url}/huge`, { ...local, maxBytes: 256 * 1024 });
    expect(page.truncated).toBe(true);
    expect(page.body.length).toBe(256 * 1024);
    await new Promise((r) => setTimeout(r, 100));
    expect(huge.stats.completed).toBe(false);
    expect(huge.stats.aborted).toBe(true);
    expect(huge.stats.bytesSent).toBeLessThan(64 * 1024 * 1024);
  });

  it('keeps a body that fits whole', async () => {
    const page = await fetchHttp(`${srv.url}/sized`, { ...local, maxBytes: 100_000 });
    expect(page.truncated).toBe(false);
    expect(page.body.length).toBe(100_000);
  });
});

describe('fetchHttp: timeouts', () => {
  it('a dripping body runs out of total body time → TransientError(timeout)', async () => {
    const t0 = Date.now();
    const err = await failure(fetchHttp(`${srv.url}/drip`, { ...local, bodyTimeoutMs: 400 }));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(drip.stats.completed).toBe(false);
  });

  it('a stalled body hits the idle timeout', async () => {
    const err = await failure(fetchHttp(`${srv.url}/stall`, { ...local, bodyTimeoutMs: 300 }));
    expect((err as TransientError).reason).toBe('timeout');
  });

  it('headers that never come, or trickle forever → TransientError(timeout)', async () => {
    for (const path of ['/silent', '/slow-headers']) {
      const t0 = Date.now();
      const err = await failure(
        fetchHttp(`${srv.url}${path}`, { ...local, headersTimeoutMs: 300, connectTimeoutMs: 300 }),
      );
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).reason).toBe('timeout');
      expect(Date.now() - t0).toBeLessThan(1_500);
    }
  });
  it('stops when the caller aborts (shutdown)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const err = await failure(fetchHttp(`${srv.url}/silent`, { ...local, signal: ac.signal }));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('network');
  });
});

describe('fetchHttp: charsets', () => {
  it.each([
    ['windows-1251 (header)', P.win1251, RUSSIAN_TEXT, 'windows-1251'],
    ['koi8-r (header)', P.koi8r, RUSSIAN_TEXT, 'koi8-r'],
    ['gb18030 (header says GBK)', P.gb18030, CHINESE_TEXT, 'gb18030'],
    ['windows-1251 (meta charset only)', P.metaOnly, RUSSIAN_TEXT, 'windows-1251'],
    ['koi8-r (meta http-equiv only)', P.httpEquiv, RUSSIAN_TEXT, 'koi8-r'],
    ['windows-1251 (header lies: utf-8)', P.lyingCharset, RUSSIAN_TEXT, 'windows-1251'],
    ['windows-1251 (undeclared)', P.undeclared1251, RUSSIAN_TEXT, 'windows-1251'],
  ])('decodes %s', async (_name, path, expected, charset) => {
    const page = await fetchHttp(`${srv.url}${path}`, local);
    expect(page.charset).toBe(charset);
    expect(page.text).toContain(`<p>${expected}</p>`);
  });
});

describe('fetchHttp: SSRF guard', () => {
  it('refuses 127.0.0.1 and names resolving to loopback unless allowPrivateNetwork', async () => {
    const before = srv.hits.length;
    for (const url of [
      `${srv.url}${P.ok}`,
      `http://localhost:${srv.port}${P.ok}`,
      `http://[::1]:${srv.port}/`,
    ]) {
      const err = await failure(fetchHttp(url));
      expect(err).toBeInstanceOf(NonRetryableError);
      expect((err as NonRetryableError).reason).toBe('private-network');
    }
    expect(srv.hits.length).toBe(before);
    const ok = await fetchHttp(`http://localhost:${srv.port}${P.ok}`, { allowPrivateNetwork: true });
    expect(ok.status).toBe(200);
  });

  it('refuses metadata and private literals before connecting', async () => {
    for (const host of ['169.254.169.254', '10.0.0.1', '[::ffff:127.0.0.1]', '0.0.0.0']) {
      const err = await failure(fetchHttp(`http://${host}/latest/meta-data/`, { connectTimeoutMs: 200 }));
      expect((err as NonRetryableError).reason).toBe('private-network');
    }
  });

  it('refuses .onion without a socks5h proxy, without any DNS', async () => {
    const err = await failure(
      fetchHttp('http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion/'),
    );
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('proxy');
  });

  it('refuses non-http URLs', async () => {
    const err = await failure(fetchHttp('file:///etc/passwd'));
    expect((err as NonRetryableError).reason).toBe('invalid-url');
  });
});
