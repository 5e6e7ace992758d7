/**
 * Our WARCs and their CDXJ index as Webrecorder's own reader sees them: warcio.js (the parser and
 * indexer ReplayWeb.page is built on) reads generated captures, and its SURT, index lines and digests
 * must equal ours. A replayer finds a capture by the SURT it computes for the URL asked for, so a key
 * that differs (query parts unsorted, an IP address not reversed) is a capture nobody can open.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CDXIndexer, getSurt, WARCParser } from 'warcio';
import { rng } from '../../../src/classify/model/train.ts';
import type { FetchedPage } from '../../../src/crawl/types.ts';
import { cdxjIndex, surt } from '../../../src/evidence/cdxj.ts';
import { warcDigestToHex } from '../../../src/evidence/digest.ts';
import { pageWarc } from '../../../src/evidence/warc.ts';
import { fetchedPage } from './fixtures.ts';
import { base32, parseWarc } from './warc-parse.ts';

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const word = (r: Random, chars: string, lo: number, hi: number) =>
  Array.from({ length: int(r, lo, hi) }, () => pick(r, [...chars])).join('');

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
const PATH = `${LETTERS}_.~!$'()*+,;=:@%2F%20мефдрн冰毒`;

/** A URL as a market's pages link it: hosts with www/wwwN, IPs, onions, IDNs, ports, escapes, queries in any order. */
function randomUrl(r: Random): string {
  const host = pick(r, [
    () =>
      `${pick(r, ['', 'www.', 'www2.', 'WWW.', 'www12.'])}${word(r, LETTERS, 1, 8)}.${pick(r, ['com', 'ru', 'kz', 'Shop'])}`,
    () => `${word(r, 'abcdefghijklmnopqrstuvwxyz234567', 56, 56)}.onion`,
    () => Array.from({ length: 4 }, () => int(r, 0, 255)).join('.'),
    () => pick(r, ['[2001:db8::1]', '[::1]', 'магазин.рф', 'WWW.Пример.KZ', 'xn--e1afmkfd.xn--p1ai']),
  ])();
  const port = pick(r, ['', '', ':80', ':443', `:${int(r, 1, 65535)}`]);
  const path = Array.from({ length: int(r, 0, 4) }, () => `/${word(r, PATH, 0, 8)}`).join('');
  const params = Array.from({ length: int(r, 0, 5) }, () =>
    pick(r, [
      () => `${word(r, 'abcdefXYZ_', 1, 4)}=${word(r, `${LETTERS}%2Aмф `, 0, 6)}`,
      () => word(r, 'abcXY', 1, 3),
      () => '',
    ])(),
  );
  const query = params.length || r() < 0.1 ? `?${params.join('&')}` : '';
  const fragment = r() < 0.2 ? `#${word(r, LETTERS, 0, 5)}` : '';
  return `${pick(r, ['http', 'https'])}://${host}${port}${path}${query}${fragment}`;
}

/** A capture as either fetcher hands it to the evidence pipeline. */
function randomPage(r: Random): FetchedPage {
  const text = r() < 0.7;
  const body = text
    ? Buffer.from(`<html><title>${word(r, LETTERS, 0, 20)}</title>мефедрон ${word(r, PATH, 0, 3000)}</html>`)
    : Buffer.from(Array.from({ length: int(r, 0, 5000) }, () => int(r, 0, 255)));
  const headers: Record<string, string> = {};
  const type = pick(r, [
    'text/html; charset=utf-8',
    'Text/HTML',
    'application/octet-stream',
    'image/png;q=1',
    '',
  ]);
  if (type) headers['content-type'] = type;
  if (r() < 0.5) headers['content-encoding'] = pick(r, ['gzip', 'br']);
  if (r() < 0.5) headers['content-length'] = String(r() < 0.5 ? body.length : int(r, 0, 99999));
  if (r() < 0.5) headers['set-cookie'] = `s=${word(r, LETTERS, 1, 20)}; Path=/`;
  if (r() < 0.3) headers.server = 'nginx/1.2 (Ubuntu) ÿé';
  const finalUrl = new URL(randomUrl(r)).href;
  return fetchedPage({
    url: finalUrl,
    finalUrl,
    status: pick(r, [200, 200, 200, 201, 204, 301, 404, 410, 451, 500, 503]),
    headers,
    body,
    text: body.toString('utf8'),
    contentType: type.split(';')[0] ?? '',
    truncated: r() < 0.1,
    via: r() < 0.25 ? 'browser' : 'http',
    fetchedAt: new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 2e11)).toISOString(),
    redirects: Array.from({ length: int(r, 0, 2) }, () => new URL(randomUrl(r)).href),
  });
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

async function warcioIndex(warc: Buffer): Promise<Array<Record<string, string>>> {
  const indexer = new CDXIndexer({ format: 'cdxj' });
  const out: Array<Record<string, string>> = [];
  for await (const cdx of indexer.iterIndex([{ reader: Readable.from([warc]), filename: 'capture.warc.gz' }]))
    out.push(cdx as Record<string, string>);
  return out;
}

describe('CDXJ and WARC against warcio.js', () => {
  it('computes the SURT warcio computes, on 20,000 generated URLs', () => {
    const r = rng(7);
    const differ: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const url = randomUrl(r);
      if (surt(url) !== getSurt(url)) differ.push(`${url}: ${surt(url)} vs ${getSurt(url)}`);
    }
    expect(differ.slice(0, 5)).toEqual([]);
    // The cases a replayer's lookup turns on, spelled out.
    expect(surt('http://www.shop.example/item?id=5&cat=2#x')).toBe('example,shop)/item?cat=2&id=5');
    expect(surt('http://127.0.0.1:8080/p')).toBe('1,0,0,127:8080)/p');
  });

  it('indexes, frames and digests 300 generated captures as warcio reads them', async () => {
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const page = randomPage(r);
      const warc = pageWarc({
        page,
        requestHeaders: page.via === 'http' ? { 'user-agent': 'Spiderweb' } : null,
        proxy: null,
        version: 'test',
      });
      const label = `capture ${i} (${page.via} ${page.status} ${page.finalUrl})`;

      // The index: warcio's line for each record ours indexes, field by field.
      const ours = cdxjIndex(warc, 'capture.warc.gz')
        .trim()
        .split('\n')
        .map((line) => {
          const [urlkey, timestamp] = line.split(' ', 2);
          return { urlkey, timestamp, ...JSON.parse(line.slice(line.indexOf('{'))) };
        });
      const theirs = await warcioIndex(warc);
      expect(ours.length, label).toBe(1);
      expect(theirs.length, label).toBe(1);
      const [o, t] = [ours[0], theirs[0]] as [Record<string, string | number>, Record<string, string>];
      expect(
        {
          urlkey: o.urlkey,
          timestamp: o.timestamp,
          url: o.url,
          offset: String(o.offset),
          length: String(o.length),
          filename: o.filename,
          mime: o.mime,
          digest: o.digest,
        },
        label,
      ).toEqual({
        urlkey: t.urlkey,
        timestamp: t.timestamp,
        url: t.url,
        offset: String(t.offset),
        length: String(t.length),
        filename: t.filename,
        // warcio keeps a resource record's parameters (`; charset=…`); both are the type before them.
        mime: t.mime?.split(';')[0]?.trim(),
        // The same SHA-256: ours in hex, warcio's in the record's base32.
        digest: `sha256:${warcDigestToHex(`sha256:${t.digest}`)}`,
      });
      if (page.via === 'http')
        expect([o.status, String(t.status)], label).toEqual([String(page.status), String(page.status)]);

      // The records: warcio finds the ones our own reader finds, and each digest holds over the bytes it reads.
      const expected = parseWarc(warc).map((rec) => rec.headers.get('warc-type'));
      const types: string[] = [];
      for await (const record of new WARCParser(Readable.from([warc]), { parseHttp: false })) {
        types.push(record.warcType);
        const block = await record.readFully();
        expect(record.warcBlockDigest, `${label} ${record.warcType}`).toBe(`sha256:${base32(sha256(block))}`);
      }
      expect(types, label).toEqual(expected);
      for await (const record of new WARCParser(Readable.from([warc]))) {
        if (record.warcType !== 'response') continue;
        expect(record.httpHeaders?.statusCode, label).toBe(page.status);
        const payload = await record.readFully(true);
        expect(Buffer.from(payload).equals(page.body), label).toBe(true);
        expect(record.warcPayloadDigest, label).toBe(`sha256:${base32(sha256(payload))}`);
      }
    }
  });
});
