/**
 * CDXJ index of a `.warc.gz` (https://specs.webrecorder.net/cdxj/latest/): one line per response or
 * resource record, `<SURT> <timestamp> {json}`, sorted, with each record's offset and length in the
 * file so a replayer (ReplayWeb.page, pywb) reads one record without reading the rest.
 */
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { warcDigestToHex } from './digest.ts';
import { field, readWarc, splitHttp } from './warc-read.ts';

/** Each gzip member of a `.warc.gz` as written by `pageWarc` (10-byte header, no optional fields). */
function gzipMembers(data: Buffer): Array<{ offset: number; length: number }> | null {
  const out: Array<{ offset: number; length: number }> = [];
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] !== 0x1f || data[pos + 1] !== 0x8b || data[pos + 3] !== 0) return null;
    const { engine } = inflateRawSync(data.subarray(pos + 10), { info: true }) as unknown as {
      engine: { bytesWritten: number };
    };
    const length = 10 + engine.bytesWritten + 8;
    out.push({ offset: pos, length });
    pos += length;
  }
  return out;
}

/**
 * The URL key replayers look a capture up by (SURT): `www`/`wwwN` dropped, lower-cased, host labels
 * reversed (IP addresses too: `1,0,0,127)`), the port kept, the fragment dropped and the query's
 * `&`-separated parts sorted, so `/item?id=5&cat=2` and `/item?cat=2&id=5` are one key. This is
 * warcio.js's `getSurt`, which ReplayWeb.page computes for the URL it is asked for, and agrees with
 * the Python `surt` package pywb uses on all of that (`test/unit/evidence/cdxj-warcio.test.ts`
 * compares them). A URL that is not http(s), or does not parse, is its own key.
 */
export function surt(url: string): string {
  if (!/^https?:/.test(url)) return url;
  try {
    const u = new URL(url.replace(/^(https?:\/\/)www\d*\./, '$1').toLowerCase());
    let key = u.hostname.split('.').reverse().join(',');
    if (u.port) key += `:${u.port}`;
    key += `)${u.pathname}`;
    if (u.search) key += `?${u.search.slice(1).split('&').sort().join('&')}`;
    return key;
  } catch {
    return url;
  }
}

const timestamp = (iso: string) => iso.replace(/\D/g, '').slice(0, 14).padEnd(14, '0');

/** The CDXJ lines for `filename` (a `.warc.gz` of one capture); empty when its layout is not ours. */
export function cdxjIndex(data: Buffer, filename: string): string {
  const members = gzipMembers(data);
  if (!members) return '';
  const lines: string[] = [];
  for (const m of members) {
    const [record] = readWarc(gunzipSync(data.subarray(m.offset, m.offset + m.length)));
    if (!record) continue;
    const type = field(record, 'WARC-Type');
    const url = field(record, 'WARC-Target-URI');
    if ((type !== 'response' && type !== 'resource') || !url) continue;
    const entry: Record<string, string | number> = { url };
    let mime: string | undefined;
    if (type === 'response') {
      const { head } = splitHttp(record.block);
      entry.status = head.split(' ')[1] ?? '';
      mime = /\r\ncontent-type:\s*([^;\r\n]+)/i.exec(head)?.[1];
    } else {
      entry.status = '200';
      mime = field(record, 'Content-Type')?.split(';')[0];
    }
    // No content type, no field (as warcio writes it), rather than an empty one.
    if (mime?.trim()) entry.mime = mime.trim();
    const digest = field(record, 'WARC-Payload-Digest') ?? field(record, 'WARC-Block-Digest');
    const hex = digest ? warcDigestToHex(digest) : null;
    if (hex) entry.digest = `sha256:${hex}`;
    Object.assign(entry, { length: m.length, offset: m.offset, filename });
    lines.push(`${surt(url)} ${timestamp(field(record, 'WARC-Date') ?? '')} ${JSON.stringify(entry)}`);
  }
  return lines
    .sort()
    .map((l) => `${l}\n`)
    .join('');
}
