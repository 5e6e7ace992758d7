/**
 * A tiny WARC reader for tests, written apart from src/evidence so a bug in the writer is not
 * mirrored by the reader: records, Content-Length framing, and digests recomputed with their own
 * base32.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

export interface ParsedRecord {
  version: string;
  /** Field names lower-cased. */
  headers: Map<string, string>;
  /** Field names in the order written. */
  order: string[];
  block: Buffer;
  /** The record's bytes, version line to the trailing CRLFCRLF. */
  raw: Buffer;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

export function sha256Label(data: Uint8Array): string {
  return `sha256:${base32(createHash('sha256').update(data).digest())}`;
}

export function parseWarc(file: Buffer): ParsedRecord[] {
  const data = file[0] === 0x1f ? gunzipSync(file) : file;
  const out: ParsedRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', pos, 'latin1');
    if (headEnd < 0) throw new Error(`no header end at ${pos}`);
    const [version = '', ...lines] = data.subarray(pos, headEnd).toString('utf8').split('\r\n');
    const headers = new Map<string, string>();
    const order: string[] = [];
    for (const line of lines) {
      const m = /^([^:\s]+): (.*)$/.exec(line);
      if (!m) throw new Error(`bad header line ${JSON.stringify(line)}`);
      order.push(m[1]!);
      headers.set(m[1]!.toLowerCase(), m[2]!);
    }
    const len = Number(headers.get('content-length'));
    const start = headEnd + 4;
    const block = data.subarray(start, start + len);
    if (block.length !== len) throw new Error('block shorter than Content-Length');
    if (data.subarray(start + len, start + len + 4).toString('latin1') !== '\r\n\r\n') {
      throw new Error('record does not end with CRLFCRLF');
    }
    out.push({ version, headers, order, block, raw: data.subarray(pos, start + len + 4) });
    pos = start + len + 4;
  }
  return out;
}

/** The payload of an application/http block (after the blank line ending its headers). */
export function httpParts(block: Buffer): { statusLine: string; headers: string[]; payload: Buffer } {
  const end = block.indexOf('\r\n\r\n', 0, 'latin1');
  const [statusLine = '', ...headers] = block.subarray(0, end).toString('latin1').split('\r\n');
  return { statusLine, headers, payload: block.subarray(end + 4) };
}
