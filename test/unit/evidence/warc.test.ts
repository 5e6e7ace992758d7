import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  formatWarcRecord,
  pageWarc,
  readWarc,
  warcDigest,
  warcDigestToHex,
} from '../../../src/evidence/index.ts';
import { recordedResponseHeaders, WARC_GZIP_LEVEL } from '../../../src/evidence/warc.ts';
import type { FetchedPage } from '../../../src/crawl/types.ts';
import { fetchedPage as page } from './fixtures.ts';
import { httpParts, parseWarc, sha256Label } from './warc-parse.ts';

const EMPTY = 'sha256:4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ====';

const input = (
  p: FetchedPage,
  requestHeaders: Record<string, string> | null = { 'user-agent': 'UA', accept: '*/*' },
) => ({
  page: p,
  requestHeaders,
  proxy: 'socks5h://tor:***@127.0.0.1:9050',
  version: '9.9.9',
});

describe('WARC digests', () => {
  it('writes sha256 as padded upper-case base32, like warcio', () => {
    expect(warcDigest(Buffer.alloc(0))).toBe(EMPTY);
    expect(warcDigestToHex(EMPTY)).toBe(createHash('sha256').digest('hex'));
    expect(warcDigestToHex('sha1:ABC')).toBeNull();
    const data = Buffer.from('payload');
    expect(warcDigest(data)).toBe(sha256Label(data));
  });
});

describe('WARC record formatting', () => {
  it('frames a record: version, fields in order, blank line, block, CRLFCRLF', () => {
    const block = Buffer.from('a: b\r\n');
    const rec = formatWarcRecord({
      type: 'metadata',
      recordId: 'urn:uuid:00000000-0000-8000-8000-000000000000',
      date: '2024-05-01T10:20:30Z',
      targetUri: 'http://x.example/',
      contentType: 'application/warc-fields',
      block,
      fields: [['WARC-Refers-To', '<urn:uuid:1>']],
    });
    expect(rec.toString('utf8')).toBe(
      [
        'WARC/1.1',
        'WARC-Type: metadata',
        'WARC-Record-ID: <urn:uuid:00000000-0000-8000-8000-000000000000>',
        'WARC-Date: 2024-05-01T10:20:30.000Z',
        'WARC-Target-URI: http://x.example/',
        'WARC-Refers-To: <urn:uuid:1>',
        'Content-Type: application/warc-fields',
        `WARC-Block-Digest: ${sha256Label(block)}`,
        'Content-Length: 6',
        '',
        'a: b\r\n\r\n\r\n',
      ].join('\r\n'),
    );
  });

  it('cannot be broken by line breaks in hostile values', () => {
    const rec = formatWarcRecord({
      type: 'resource',
      recordId: 'urn:uuid:x',
      date: '2024-05-01T10:20:30Z',
      targetUri: 'http://x.example/\r\nWARC-Type: forged',
      contentType: 'text/html',
      block: Buffer.from('x'),
    });
    const [r] = parseWarc(rec);
    expect(r?.headers.get('warc-type')).toBe('resource');
    expect(r?.order.filter((n) => n === 'WARC-Type')).toHaveLength(1);
  });
});

describe('recorded response headers', () => {
  it('renames what no longer describes the decoded payload and adds a true content-length', () => {
    const h = recordedResponseHeaders({ 'content-encoding': 'br', 'content-length': '10', etag: 'x' }, 42);
    expect(h).toEqual([
      ['x-spiderweb-original-content-encoding', 'br'],
      ['x-spiderweb-original-content-length', '10'],
      ['etag', 'x'],
      ['content-length', '42'],
    ]);
  });

  it('leaves an identity response untouched', () => {
    const h = recordedResponseHeaders({ 'content-length': '42', 'content-type': 'text/html' }, 42);
    expect(h).toEqual([
      ['content-length', '42'],
      ['content-type', 'text/html'],
    ]);
  });
});

describe('page WARC', () => {
  it('holds warcinfo, request, response and metadata records, each its own gzip member', () => {
    const p = page();
    const warc = pageWarc(input(p));
    const records = parseWarc(warc);
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual([
      'warcinfo',
      'request',
      'response',
      'metadata',
    ]);
    const members = records.map((r) => gzipSync(r.raw, { level: WARC_GZIP_LEVEL }));
    expect(Buffer.concat(members).equals(warc)).toBe(true);
    for (const r of records) {
      expect(r.version).toBe('WARC/1.1');
      expect(r.headers.get('warc-record-id')).toMatch(
        /^<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>$/,
      );
      expect(r.headers.get('warc-date')).toBe('2024-05-01T10:20:30.456Z');
      expect(r.headers.get('warc-block-digest')).toBe(sha256Label(r.block));
    }
    const [info, req, res, meta] = records;
    expect(info?.block.toString()).toContain('software: Spiderweb/9.9.9');
    expect(req?.headers.get('content-type')).toBe('application/http;msgtype=request');
    expect(req?.block.toString()).toBe(
      'GET /item/1 HTTP/1.1\r\nhost: shop.example\r\nuser-agent: UA\r\naccept: */*\r\n\r\n',
    );
    expect(req?.headers.get('warc-concurrent-to')).toBe(res?.headers.get('warc-record-id'));
    expect(res?.headers.get('warc-concurrent-to')).toBe(req?.headers.get('warc-record-id'));
    expect(res?.headers.get('warc-target-uri')).toBe(p.finalUrl);
    expect(res?.headers.get('content-type')).toBe('application/http;msgtype=response');
    const http = httpParts(res!.block);
    expect(http.statusLine).toBe('HTTP/1.1 200 OK');
    expect(http.headers).toContain('x-spiderweb-original-content-encoding: gzip');
    expect(http.headers).toContain(`content-length: ${p.body.length}`);
    expect(http.headers.some((h) => h.startsWith('content-encoding:'))).toBe(false);
    expect(http.payload.equals(p.body)).toBe(true);
    expect(res?.headers.get('warc-payload-digest')).toBe(sha256Label(p.body));
    expect(res?.headers.has('warc-truncated')).toBe(false);
    expect(meta?.headers.get('warc-refers-to')).toBe(res?.headers.get('warc-record-id'));
    const fields = meta?.block.toString('utf8') ?? '';
    expect(fields).toContain('requested-url: http://shop.example/item?id=1\r\n');
    expect(fields).toContain('redirect: http://shop.example/item/1\r\n');
    expect(fields).toContain('proxy: socks5h://tor:***@127.0.0.1:9050\r\n');
    // the reader in src agrees
    expect(readWarc(warc).length).toBe(4);
  });

  it('is byte-for-byte reproducible, and differs when the capture differs', () => {
    expect(pageWarc(input(page())).equals(pageWarc(input(page())))).toBe(true);
    expect(pageWarc(input(page({ fetchedAt: '2024-05-02T00:00:00Z' }))).equals(pageWarc(input(page())))).toBe(
      false,
    );
  });

  it('marks a truncated body and omits the request record when the headers sent are unknown', () => {
    const records = parseWarc(pageWarc(input(page({ truncated: true }), null)));
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'response', 'metadata']);
    expect(records[1]?.headers.get('warc-truncated')).toBe('length');
    expect(records[2]?.block.toString()).toContain('request-headers: not recorded');
  });

  it('stores a browser render as a resource record with the response headers in metadata', () => {
    const records = parseWarc(pageWarc(input(page({ via: 'browser' }), null)));
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'resource', 'metadata']);
    expect(records[1]?.block.equals(page().body)).toBe(true);
    expect(records[1]?.headers.get('warc-payload-digest')).toBe(sha256Label(page().body));
    expect(records[2]?.block.toString()).toContain('http-header: server: nginx\r\n');
  });
});
