/**
 * The HTTP cases of the hostile-input suite: one route per case, the outcome it must end in. Sizes
 * assume the suite's site limits (`maxBytes` 1 MB, timeouts under a second, maxPagesPerPattern 10).
 */
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { expect } from 'vitest';
import { MAX_TEXT_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS } from '../../src/extract/index.ts';
import type { RouteHandler } from './fixture-server.ts';
import { type HostileCase, hostileCase } from './hostile-site.ts';
import {
  encodedPage,
  gzipBomb,
  html,
  htmlPage,
  hugeBody,
  RUSSIAN_TEXT,
  raw,
  redirectChain,
  redirectTo,
  slowBody,
  slowHeaders,
} from './hostile-routes.ts';

const page = (body: string, title = 't') => html(htmlPage(title, body));
/** Writes `bytes` straight to the socket (responses Node's server would refuse to produce). */
const onSocket =
  (bytes: string | Buffer, end = true): RouteHandler =>
  (_req, res) => {
    const s = res.socket;
    if (!s) return;
    if (end) s.end(bytes);
    else s.write(bytes);
  };

const ZIP = Buffer.concat([
  Buffer.from('PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000', 'latin1'),
  zlib.deflateRawSync(Buffer.alloc(4096, 7)),
]);
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n', 'latin1'),
  zlib.deflateSync(Buffer.alloc(4096, 3)),
]);
const DIGITS = Array.from(
  { length: 12_000 },
  (_, i) =>
    `4111 1111 1111 ${String(1000 + (i % 9000))} +7 (9${String(i % 100).padStart(2, '0')}) 123-45-67 TX${i}abcdefghijkmnpqrstuvwxyz12 `,
).join('');
const longHref = (n: number) => `/h/long/${'x'.repeat(n)}`;

export function httpCases(): HostileCase[] {
  const big = hugeBody(50 * 1024 * 1024);
  const endless = hugeBody();
  return [
    // --- markup ---
    hostileCase(
      'malformed HTML',
      '/h/malformed',
      html(
        '<html><body><div><p>unclosed <b>bold <i>italic</div></span></td></tr><table><td>cell<a href=/h/malformed-x>x<a href="javascript:alert(1)">y</a><a href="http://[::1">z</a> <<<>>> <!-- never closed',
      ),
      { state: 'fetched' },
      (row) => expect(row.text).toContain('unclosed bold italic'),
    ),
    hostileCase(
      '100,000 nested divs',
      '/h/nested',
      html(
        `${'<div>'.repeat(100_000)}deep text <a href="/h/nested-link">x</a>${'</div>'.repeat(100_000)}<p>after</p>`,
      ),
      { state: 'fetched' },
      (row) => expect(row.text).toMatch(/deep text[\s\S]*after/),
    ),
    hostileCase(
      '100,000 unclosed <b>',
      '/h/nested-b',
      html(`${'<b>'.repeat(100_000)}bold tail`),
      { state: 'fetched' },
      (row) => expect(row.text).toContain('bold tail'),
    ),
    hostileCase(
      'huge <title>',
      '/h/title',
      html(`<title>${'T'.repeat(900_000)}</title><p>body</p>`),
      { state: 'fetched' },
      (row) => expect(row.title.length).toBe(MAX_TITLE_CHARS),
    ),
    hostileCase(
      '1 MB text node without spaces',
      '/h/nospace',
      html(`<p>${'ж'.repeat(450_000)}</p>`),
      { state: 'fetched' },
      (row) => expect(row.textLength).toBe(MAX_TEXT_CHARS),
    ),
    hostileCase('a page full of identifier-like digits', '/h/digits', html(`<p>${DIGITS}</p>`), {
      state: 'fetched',
    }),
    hostileCase(
      'null bytes',
      '/h/nul',
      raw(200, { 'content-type': 'text/html' }, '<p>ab\u0000cd</p><a href="/h/n\u0000ul">x</a>'),
      { state: 'fetched' },
      (row) => expect(row.text).toBe('abcd\nx'),
    ),
    // --- size and time ---
    hostileCase('a 50 MB body', '/h/50mb', big, { state: 'fetched' }, () =>
      expect(big.stats.completed).toBe(false),
    ),
    hostileCase('an endless chunked response', '/h/endless', endless, { state: 'fetched' }, () =>
      expect(endless.stats.aborted).toBe(true),
    ),
    hostileCase('a gzip bomb', '/h/bomb', gzipBomb(), { state: 'failed', reason: 'decompression-bomb' }),
    hostileCase(
      'corrupt gzip',
      '/h/bad-gzip',
      raw(
        200,
        { 'content-type': 'text/html', 'content-encoding': 'gzip' },
        Buffer.concat([zlib.gzipSync('<p>ok</p>').subarray(0, 12), Buffer.alloc(64, 0xee)]),
      ),
      { state: 'fetched', maxText: 0 },
    ),
    hostileCase(
      'unknown content-encoding',
      '/h/zstd',
      raw(200, { 'content-type': 'text/html', 'content-encoding': 'x-hostile' }, 'abc'),
      { state: 'failed', reason: 'content-type' },
    ),
    hostileCase('slowloris headers', '/h/slow-headers', slowHeaders(100), {
      state: 'failed',
      reason: 'timeout',
    }),
    hostileCase('a body that never ends slowly', '/h/slow-body', slowBody(100), {
      state: 'failed',
      reason: 'timeout',
    }),
    hostileCase(
      'a slow body that finishes in time',
      '/h/slow-ok',
      slowBody(40, 5, '<p>drip</p>'),
      { state: 'fetched' },
      (row) => expect(row.text).toBe('drip\ndrip\ndrip\ndrip\ndrip'),
    ),
    hostileCase(
      'a Content-Length that lies',
      '/h/short',
      onSocket('HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 100000\r\n\r\n<p>short'),
      { state: 'failed', reason: 'network' },
    ),
    hostileCase(
      'connection closed without a response',
      '/h/reset',
      (_req, res) => void res.socket?.destroy(),
      {
        state: 'failed',
        reason: 'network',
      },
    ),
    // --- redirects ---
    {
      name: 'a redirect loop',
      path: '/h/loop-a',
      routes: { '/h/loop-a': redirectTo('/h/loop-b', 301), '/h/loop-b': redirectTo('/h/loop-a') },
      expect: { state: 'failed', reason: 'redirect-limit' },
    },
    {
      name: 'a redirect chain longer than maxRedirects',
      path: '/h/chain/1',
      routes: redirectChain('/h/chain/', 8, '/h/malformed'),
      expect: { state: 'failed', reason: 'redirect-limit' },
    },
    hostileCase(
      'a redirect to the cloud metadata address',
      '/h/to-metadata',
      redirectTo('http://169.254.169.254/latest/meta-data/'),
      { state: 'failed', reason: 'out-of-scope' },
    ),
    hostileCase('a redirect to file://', '/h/to-file', redirectTo('file:///etc/passwd'), {
      state: 'failed',
      reason: 'invalid-url',
    }),
    hostileCase('a redirect to an unparsable Location', '/h/to-garbage', redirectTo('http://[::1'), {
      state: 'failed',
      reason: 'invalid-url',
    }),
    // --- charsets ---
    hostileCase(
      'invalid UTF-8',
      '/h/bad-utf8',
      raw(
        200,
        { 'content-type': 'text/html; charset=utf-8' },
        Buffer.concat([
          Buffer.from('<p>valid '),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]),
          Buffer.from(' tail</p>'),
        ]),
      ),
      { state: 'fetched' },
      (row) => expect(row.text).toMatch(/^valid .*tail$/),
    ),
    hostileCase(
      'mixed charsets (header, meta and body disagree)',
      '/h/mixed',
      raw(
        200,
        { 'content-type': 'text/html; charset=windows-1251' },
        Buffer.concat([
          Buffer.from('<meta charset="koi8-r"><p>utf8: привет '),
          iconv.encode('cp1251: привет', 'win1251'),
          Buffer.from('</p>'),
        ]),
      ),
      { state: 'fetched' },
      (row) => expect(row.text).toContain('utf8:'),
    ),
    hostileCase(
      'a lying charset (utf-8 declared, windows-1251 sent)',
      '/h/lying',
      encodedPage(RUSSIAN_TEXT, 'win1251', 'text/html; charset=utf-8'),
      { state: 'fetched' },
      (row) => expect(row.textLength).toBeGreaterThan(10),
    ),
    hostileCase(
      'UTF-16 BOM under a utf-8 header',
      '/h/utf16',
      raw(
        200,
        { 'content-type': 'text/html; charset=utf-8' },
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<p>${RUSSIAN_TEXT}</p>`, 'utf16le')]),
      ),
      { state: 'fetched' },
      (row) => expect(row.text).toBe(RUSSIAN_TEXT),
    ),
    // --- not HTML ---
    hostileCase(
      'a PNG served as text/html',
      '/h/png',
      raw(
        200,
        { 'content-type': 'text/html' },
        Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(4096, 7)]),
      ),
      { state: 'failed', reason: 'content-type' },
    ),
    hostileCase('a zip served as text/html', '/h/zip', raw(200, { 'content-type': 'text/html' }, ZIP), {
      state: 'failed',
      reason: 'content-type',
    }),
    hostileCase(
      'a PDF served as text/html',
      '/h/pdf',
      raw(200, { 'content-type': 'text/html; charset=utf-8' }, PDF),
      { state: 'failed', reason: 'content-type' },
    ),
    hostileCase(
      'an executable served untyped',
      '/h/elf',
      raw(200, {}, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(2048, 0)])),
      { state: 'failed', reason: 'content-type' },
    ),
    // --- links and URLs ---
    {
      name: '10,000 links on a page',
      path: '/h/links',
      routes: {
        '/h/links': html(
          Array.from({ length: 10_000 }, (_, i) => `<a href="/h/links/item/${i}">${i}</a>`).join('\n'),
        ),
        '/h/links/item/*': page('<p>item</p>'),
      },
      expect: { state: 'fetched' },
      check: (_row, rows, summary) => {
        const items = rows.filter((r) => r.path.startsWith('/h/links/item/'));
        expect(items.length).toBe(10);
        expect(items.every((r) => r.state === 'fetched')).toBe(true);
        expect(summary.skipped['trap-pattern']).toBeGreaterThan(4_000);
      },
    },
    {
      name: 'a link with a 100 KB URL',
      path: '/h/long-link',
      routes: {
        '/h/long-link': page(`<a href="${longHref(100_000)}">long</a><a href="/h/long-ok">ok</a>`),
        '/h/long*': page('<p>x</p>'),
      },
      expect: { state: 'fetched' },
      check: (_row, rows) => {
        expect(rows.some((r) => r.path === '/h/long-ok')).toBe(true);
        expect(Math.max(...rows.map((r) => r.url.length))).toBeLessThanOrEqual(MAX_URL_CHARS);
      },
    },
    hostileCase(
      'a 100 KB <base href> under 5,000 relative links',
      '/h/long-base',
      html(
        `<base href="${longHref(100_000)}/">${Array.from({ length: 5_000 }, (_, i) => `<a href="r${i}">r</a>`).join('')}`,
      ),
      { state: 'fetched' },
    ),
    {
      name: 'a meta-refresh loop',
      path: '/h/refresh-a',
      routes: {
        '/h/refresh-a': html('<meta http-equiv="refresh" content="0; url=/h/refresh-b"><p>a</p>'),
        '/h/refresh-b': html('<meta http-equiv="refresh" content="0;URL=\'/h/refresh-a\'"><p>b</p>'),
      },
      expect: { state: 'fetched' },
      check: (_row, rows) =>
        expect(rows.filter((r) => r.path.startsWith('/h/refresh-')).map((r) => r.state)).toEqual([
          'fetched',
          'fetched',
        ]),
    },
    {
      name: 'a page linking to itself with an ever-growing query',
      path: '/h/grow?q=a',
      routes: {
        '/h/grow': (req, res) => {
          const q = new URL(req.url ?? '/', 'http://x').searchParams.get('q') ?? 'a';
          res.writeHead(200, { 'content-type': 'text/html' }).end(`<a href="/h/grow?q=${q}${q}">more</a>`);
        },
      },
      expect: { state: 'fetched' },
      check: (_row, rows) => {
        const grow = rows.filter((r) => r.path.startsWith('/h/grow'));
        // the seed, then maxPagesPerPattern (10) links of the same shape
        expect(grow.length).toBe(11);
        expect(grow.every((r) => r.state === 'fetched')).toBe(true);
      },
    },
    // --- statuses and headers ---
    hostileCase('an empty 200', '/h/empty', raw(200, { 'content-type': 'text/html' }, ''), {
      state: 'fetched',
      maxText: 0,
    }),
    hostileCase('a 204', '/h/204', raw(204, {}), { state: 'fetched', maxText: 0 }, (row) =>
      expect(row.status).toBe(204),
    ),
    hostileCase(
      'an unsolicited 304',
      '/h/304',
      raw(304, { 'content-type': 'text/html' }),
      { state: 'fetched', maxText: 0 },
      (row) => expect(row.status).toBe(304),
    ),
    hostileCase(
      'a header name with invalid characters',
      '/h/bad-header',
      onSocket('HTTP/1.1 200 OK\r\nx bad\u0001name: 1\r\ncontent-length: 2\r\n\r\nok'),
      { state: 'failed', reason: 'network' },
    ),
    hostileCase(
      'a header value with control and 8-bit bytes',
      '/h/bad-value',
      onSocket(
        Buffer.from(
          'HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=\u00ff\u00fe\r\nx-v: a\u0007b\r\ncontent-length: 9\r\n\r\n<p>ok</p>',
          'latin1',
        ),
      ),
      { state: 'failed', reason: 'network' },
    ),
    hostileCase(
      '64 KB of response headers',
      '/h/fat-headers',
      onSocket(
        `HTTP/1.1 200 OK\r\n${Array.from({ length: 1000 }, (_, i) => `x-h${i}: ${'v'.repeat(60)}\r\n`).join('')}content-length: 2\r\n\r\nok`,
      ),
      { state: 'failed', reason: 'too-large' },
    ),
    hostileCase('a 404', '/h/404', html('<p>no</p>', 404), { state: 'gone', maxText: 0 }),
  ];
}
