import { gunzipSync } from 'node:zlib';

export interface WarcRecord {
  /** Named fields in order; names as written. */
  fields: Array<[string, string]>;
  block: Buffer;
}

/** The first value of a field, case-insensitively. */
export function field(r: WarcRecord, name: string): string | undefined {
  const lower = name.toLowerCase();
  return r.fields.find(([k]) => k.toLowerCase() === lower)?.[1];
}

const SEP = Buffer.from('\r\n\r\n');

/** Parses a `.warc` or `.warc.gz` (gzip members concatenated). Throws on a malformed record. */
export function readWarc(data: Buffer): WarcRecord[] {
  const raw = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
  const records: WarcRecord[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const end = raw.indexOf(SEP, pos);
    if (end < 0) throw new Error(`WARC record at byte ${pos}: no end of header`);
    const lines = raw.subarray(pos, end).toString('utf8').split('\r\n');
    if (!lines[0]?.startsWith('WARC/')) throw new Error(`WARC record at byte ${pos}: no WARC version line`);
    const fields: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i <= 0) throw new Error(`WARC record at byte ${pos}: bad header line ${JSON.stringify(line)}`);
      fields.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
    }
    const length = Number(fields.find(([k]) => k.toLowerCase() === 'content-length')?.[1]);
    const start = end + SEP.length;
    if (!Number.isSafeInteger(length) || length < 0 || start + length + 4 > raw.length) {
      throw new Error(`WARC record at byte ${pos}: bad Content-Length`);
    }
    records.push({ fields, block: raw.subarray(start, start + length) });
    pos = start + length + 4;
  }
  return records;
}

/** Splits an `application/http` block into its head (start line + headers) and its payload. */
export function splitHttp(block: Buffer): { head: string; payload: Buffer } {
  const end = block.indexOf(SEP);
  if (end < 0) return { head: block.toString('latin1'), payload: Buffer.alloc(0) };
  return { head: block.subarray(0, end).toString('latin1'), payload: block.subarray(end + SEP.length) };
}

/** The page body of a Spiderweb capture: the response payload, or the rendered DOM of a resource record. */
export function capturedBody(records: WarcRecord[]): Buffer | null {
  for (const r of records) {
    const type = field(r, 'WARC-Type');
    if (type === 'response') return splitHttp(r.block).payload;
    if (type === 'resource') return r.block;
  }
  return null;
}
