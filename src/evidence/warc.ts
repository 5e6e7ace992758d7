/**
 * WARC 1.1 records, written by hand (https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/).
 *
 * A page's capture is one `.warc.gz` file: each record is its own gzip member (the usual layout, so
 * tools can seek record by record). Digests are `sha256:` + upper-case padded base32, as warcio
 * writes them. Record ids are derived from the record's content (see `stableUuid`), so the same
 * capture always produces the same bytes and is stored once.
 *
 * What the records say about the HTTP exchange (documented here because investigators will ask):
 * - The fetcher lower-cases header names and joins repeated headers with `, `; the status line is
 *   rebuilt as `HTTP/1.1 <status> <standard reason>` (the server's own reason phrase is not kept).
 * - The response payload is the entity body AFTER content-encoding (gzip, br...) was removed. So the
 *   headers do not lie about it, `content-encoding`, `transfer-encoding` and a `content-length` that
 *   no longer matches are renamed `x-spiderweb-original-<name>`, and a correct `content-length` is
 *   added (also where the server sent none). `WARC-Payload-Digest` is the SHA-256 of that decoded entity.
 * - A body cut at the fetcher's size cap carries `WARC-Truncated: length`.
 * - Pages rendered in Chromium are stored as a `resource` record (the rendered DOM, UTF-8), not as a
 *   `response`: they are not the bytes the server sent. Their response headers go in the metadata record.
 */
import { STATUS_CODES } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FetchedPage } from '../crawl/index.ts';
import { sha256Hex, stableUuid, warcDigest, warcDigestFromHex } from './digest.ts';

export type WarcType = 'warcinfo' | 'request' | 'response' | 'metadata' | 'resource';

export interface WarcRecordInput {
  type: WarcType;
  /** `urn:uuid:…` without angle brackets. */
  recordId: string;
  /** ISO 8601 UTC; written with millisecond precision (allowed by WARC 1.1). */
  date: string;
  targetUri?: string;
  contentType: string;
  block: Buffer;
  /** When set, `WARC-Payload-Digest` is written for it. */
  payload?: Buffer;
  /** `WARC-Block-Digest` / `WARC-Payload-Digest` when the caller has them already (else computed). */
  blockDigest?: string;
  payloadDigest?: string;
  /** More named fields, written after `WARC-Target-URI` in this order. */
  fields?: Array<[string, string]>;
}

/**
 * zlib level of each record's gzip member. Level 3 (zlib's fast deflate) compresses a typical HTML
 * page 2-3x faster than the default 6 for 4-10% more bytes; readers do not care (any level inflates
 * the same way). The bytes of a capture stay the same for the same input and the same zlib.
 */
export const WARC_GZIP_LEVEL = 3;

const CRLF = '\r\n';
const ORIGINAL_PREFIX = 'x-spiderweb-original-';

/** A header value that cannot break the record's framing. */
function clean(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** One uncompressed WARC record: version line, named fields, blank line, block, two CRLFs. */
export function formatWarcRecord(r: WarcRecordInput): Buffer {
  const lines: string[] = [
    'WARC/1.1',
    `WARC-Type: ${r.type}`,
    `WARC-Record-ID: <${r.recordId}>`,
    `WARC-Date: ${new Date(r.date).toISOString()}`,
  ];
  if (r.targetUri !== undefined) lines.push(`WARC-Target-URI: ${clean(r.targetUri)}`);
  for (const [name, value] of r.fields ?? []) lines.push(`${name}: ${clean(value)}`);
  lines.push(`Content-Type: ${clean(r.contentType)}`);
  lines.push(`WARC-Block-Digest: ${r.blockDigest ?? warcDigest(r.block)}`);
  if (r.payload) lines.push(`WARC-Payload-Digest: ${r.payloadDigest ?? warcDigest(r.payload)}`);
  lines.push(`Content-Length: ${r.block.length}`);
  const head = Buffer.from(lines.join(CRLF) + CRLF + CRLF, 'utf8');
  return Buffer.concat([head, r.block, Buffer.from(CRLF + CRLF, 'latin1')]);
}

/** `application/warc-fields`: `name: value` lines (values UTF-8, line breaks removed). */
export function warcFields(fields: Array<[string, string]>): Buffer {
  return Buffer.from(fields.map(([k, v]) => `${k}: ${clean(v)}${CRLF}`).join(''), 'utf8');
}

/** Header lines as the bytes received (latin1 round-trips what undici decoded). */
function headerBytes(headers: Array<[string, string]>): Buffer {
  return Buffer.from(headers.map(([k, v]) => `${k}: ${clean(v)}${CRLF}`).join(''), 'latin1');
}

/**
 * The response headers as recorded for a decoded payload: encoding and framing headers that no
 * longer describe it are renamed `x-spiderweb-original-*`, and a true `content-length` is added
 * wherever the server's is missing or renamed. So the HTTP block always has a header line: warcio.js
 * (ReplayWeb.page's reader) reads a status line followed straight by the blank line as a response
 * with no payload (`test/unit/evidence/cdxj-warcio.test.ts`).
 */
export function recordedResponseHeaders(
  headers: Record<string, string>,
  payloadLength: number,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    const stale =
      name === 'content-encoding' ||
      name === 'transfer-encoding' ||
      (name === 'content-length' && value.trim() !== String(payloadLength));
    out.push([stale ? ORIGINAL_PREFIX + name : name, value]);
  }
  if (!out.some(([n]) => n === 'content-length')) out.push(['content-length', String(payloadLength)]);
  return out;
}

/** `HTTP/1.1 <status> <reason>` + headers + blank line + payload. */
export function httpResponseBlock(status: number, headers: Array<[string, string]>, payload: Buffer): Buffer {
  const line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}${CRLF}`;
  return Buffer.concat([Buffer.from(line, 'latin1'), headerBytes(headers), Buffer.from(CRLF), payload]);
}

/** `GET <path> HTTP/1.1`, `host`, then the headers the fetcher sent. */
export function httpRequestBlock(url: string, headers: Record<string, string>): Buffer {
  const u = new URL(url);
  const list: Array<[string, string]> = [];
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'host')) list.push(['host', u.host]);
  for (const [k, v] of Object.entries(headers)) list.push([k.toLowerCase(), v]);
  const line = `GET ${u.pathname}${u.search} HTTP/1.1${CRLF}`;
  return Buffer.concat([Buffer.from(line, 'latin1'), headerBytes(list), Buffer.from(CRLF)]);
}

export interface PageWarcInput {
  page: FetchedPage;
  /** Headers the HTTP fetcher sent (null: unknown, e.g. Chromium's; no request record is written). */
  requestHeaders: Record<string, string> | null;
  /** The proxy the fetch went through, credentials already redacted; null for a direct connection. */
  proxy: string | null;
  /** Spiderweb's version, for the warcinfo record. */
  version: string;
  /** SHA-256 (hex) of `page.body` when the caller has it (saves hashing the body again). */
  payloadSha256?: string;
}

/** The whole capture of one fetched page as a `.warc.gz` (one gzip member per record). */
export function pageWarc(input: PageWarcInput): Buffer {
  return Buffer.concat(pageWarcRecords(input).map(gzipMember));
}

/** One record as its own gzip member, as `pageWarc` writes it. */
function gzipMember(record: Buffer): Buffer {
  return gzipSync(record, { level: WARC_GZIP_LEVEL });
}

/**
 * The records of `pageWarc`, formatted but not compressed (`EvidenceStore.putGzipMembers` compresses
 * them off the main thread into the same bytes).
 */
export function pageWarcRecords(input: PageWarcInput): Buffer[] {
  const { page } = input;
  const date = page.fetchedAt;
  const target = page.finalUrl;
  const id = (kind: string, digest: string) =>
    `urn:uuid:${stableUuid('spiderweb', kind, target, date, digest)}`;
  const records: WarcRecordInput[] = [];
  // Each digest once: the body is the bulk of every one of them.
  const payloadDigest = warcDigestFromHex(input.payloadSha256 ?? sha256Hex(page.body));

  const info = warcFields([
    ['software', `Spiderweb/${input.version}`],
    ['format', 'WARC File Format 1.1'],
    ['conformsTo', 'https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/'],
    [
      'description',
      'response payloads are entity bodies with content-encoding removed; see x-spiderweb-original-* headers',
    ],
  ]);
  const infoId = id('warcinfo', warcDigest(info, page.body));
  records.push({
    type: 'warcinfo',
    recordId: infoId,
    date,
    contentType: 'application/warc-fields',
    block: info,
  });
  const common: Array<[string, string]> = [['WARC-Warcinfo-ID', `<${infoId}>`]];

  const meta: Array<[string, string]> = [
    ['fetcher', page.via],
    ['requested-url', page.url],
    ...page.redirects.map((r): [string, string] => ['redirect', r]),
    ['final-url', page.finalUrl],
    ['status', String(page.status)],
    ['charset', page.charset],
    ['truncated', String(page.truncated)],
    ['proxy', input.proxy ?? 'none'],
  ];

  let mainId: string;
  if (page.via === 'http') {
    const headers = recordedResponseHeaders(page.headers, page.body.length);
    const block = httpResponseBlock(page.status, headers, page.body);
    const blockDigest = warcDigest(block);
    mainId = id('response', blockDigest);
    const fields: Array<[string, string]> = [...common];
    if (input.requestHeaders) {
      const reqBlock = httpRequestBlock(target, input.requestHeaders);
      const reqId = id('request', warcDigest(reqBlock));
      records.push({
        type: 'request',
        recordId: reqId,
        date,
        targetUri: target,
        contentType: 'application/http;msgtype=request',
        block: reqBlock,
        fields: [...common, ['WARC-Concurrent-To', `<${mainId}>`]],
      });
      fields.push(['WARC-Concurrent-To', `<${reqId}>`]);
    } else meta.push(['request-headers', 'not recorded']);
    if (page.truncated) fields.push(['WARC-Truncated', 'length']);
    records.push({
      type: 'response',
      recordId: mainId,
      date,
      targetUri: target,
      contentType: 'application/http;msgtype=response',
      block,
      payload: page.body,
      blockDigest,
      payloadDigest,
      fields,
    });
  } else {
    mainId = id('resource', payloadDigest);
    records.push({
      type: 'resource',
      recordId: mainId,
      date,
      targetUri: target,
      contentType: 'text/html; charset=utf-8',
      block: page.body,
      payload: page.body,
      blockDigest: payloadDigest,
      payloadDigest,
      fields: [
        ...common,
        ...(page.truncated ? ([['WARC-Truncated', 'length']] as Array<[string, string]>) : []),
      ],
    });
    meta.push(['rendered-dom', 'the resource record is the DOM serialised after rendering, UTF-8']);
    for (const [k, v] of Object.entries(page.headers)) meta.push(['http-header', `${k}: ${v}`]);
  }
  const metaBlock = warcFields(meta);
  records.push({
    type: 'metadata',
    recordId: id('metadata', warcDigest(metaBlock)),
    date,
    targetUri: target,
    contentType: 'application/warc-fields',
    block: metaBlock,
    fields: [...common, ['WARC-Refers-To', `<${mainId}>`]],
  });
  return records.map(formatWarcRecord);
}
