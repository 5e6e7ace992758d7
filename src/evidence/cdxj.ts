/**
 * CDXJ index of a `.warc.gz` (https://specs.webrecorder.net/cdxj/latest/): one line per response or
 * resource record, `<SURT> <timestamp> {json}`, sorted, with each record's offset and length in the
 * file so a replayer (ReplayWeb.page, pywb) reads one record without reading the rest.
 */
import { isIP } from 'node:net';
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

/** Sort-friendly URL key: host labels reversed (`com,example)/path`), as pywb and py-wacz write it. */
export function surt(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^www\d*\./, '');
    const key = isIP(host) ? host : host.split('.').reverse().join(',');
    const port = u.port ? `:${u.port}` : '';
    return `${key}${port})${u.pathname}${u.search}`.toLowerCase();
  } catch {
    return url.toLowerCase();
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
    if (type === 'response') {
      const { head } = splitHttp(record.block);
      entry.status = head.split(' ')[1] ?? '';
      entry.mime = /\r\ncontent-type:\s*([^;\r\n]+)/i.exec(head)?.[1]?.trim() ?? '';
    } else {
      entry.status = '200';
      entry.mime = field(record, 'Content-Type')?.split(';')[0]?.trim() ?? '';
    }
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
