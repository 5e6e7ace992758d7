/**
 * Minimal ustar (POSIX.1-1988) archives of regular files, enough for evidence bundles: GNU tar,
 * bsdtar and 7-Zip read what `writeTar` writes. `readTar` accepts only regular files and checks
 * every header's checksum, so a damaged header is reported, not misread.
 */

export interface TarEntry {
  /** Plain file name, ASCII, at most 100 bytes (bundles hold no directories). */
  name: string;
  data: Buffer;
  /** Modification time, seconds since the epoch. Default 0. */
  mtime?: number;
  /** Unix permissions. Default 0o444 (evidence is read-only). */
  mode?: number;
}

/** A tar that cannot be read; `offset` is the byte where its header starts. */
export class TarError extends Error {
  readonly offset: number;
  /** The entry name as far as it could be read ('' when unknown). */
  readonly entry: string;
  constructor(offset: number, entry: string, message: string) {
    super(`tar header at byte ${offset}${entry ? ` (${JSON.stringify(entry)})` : ''}: ${message}`);
    this.name = 'TarError';
    this.offset = offset;
    this.entry = entry;
  }
}

const BLOCK = 512;
/** Archives are padded to a multiple of 20 blocks, like tar's default blocking factor. */
const RECORD = 20 * BLOCK;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(e: TarEntry): Buffer {
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(e.name) || e.name.length > 100 || e.name.includes('/')) {
    throw new Error(`tar: unsupported entry name ${JSON.stringify(e.name)}`);
  }
  const h = Buffer.alloc(BLOCK);
  h.write(e.name, 0, 100, 'ascii');
  h.write(octal(e.mode ?? 0o444, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(e.data.length, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(e.mtime ?? 0)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum counts as spaces while summing
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\u000000', 257, 'ascii');
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  h.write(`${checksum(h).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return sum;
}

/** The archive of `entries`, in order. Files over 8 GiB are not supported (ustar size field). */
export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const e of entries) {
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    parts.push(header(e), e.data, Buffer.alloc(pad));
    length += BLOCK + e.data.length + pad;
  }
  length += 2 * BLOCK;
  const total = Math.ceil(length / RECORD) * RECORD;
  parts.push(Buffer.alloc(total - length + 2 * BLOCK));
  return Buffer.concat(parts);
}

function text(h: Buffer, start: number, width: number): string {
  const s = h.subarray(start, start + width);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? width : nul).toString('latin1');
}

function parseOctal(
  h: Buffer,
  start: number,
  width: number,
  offset: number,
  name: string,
  what: string,
): number {
  const s = text(h, start, width).trim();
  if (!/^[0-7]+$/.test(s)) throw new TarError(offset, name, `bad ${what} field ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

/** The regular files of a tar, in order. Throws TarError on anything damaged or unexpected. */
export function readTar(buf: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  while (pos + BLOCK <= buf.length) {
    const h = buf.subarray(pos, pos + BLOCK);
    if (h.every((b) => b === 0)) return entries; // end-of-archive marker
    const prefix = text(h, 345, 155);
    const name = prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100);
    const stored = parseOctal(h, 148, 8, pos, name, 'checksum');
    if (stored !== checksum(h)) throw new TarError(pos, name, 'checksum mismatch (the header was altered)');
    const type = text(h, 156, 1);
    if (type !== '0' && type !== '')
      throw new TarError(pos, name, `entry type ${JSON.stringify(type)} is not a regular file`);
    const size = parseOctal(h, 124, 12, pos, name, 'size');
    const start = pos + BLOCK;
    if (start + size > buf.length)
      throw new TarError(pos, name, `${size} bytes announced, archive ends first`);
    entries.push({
      name,
      data: buf.subarray(start, start + size),
      mtime: parseOctal(h, 136, 12, pos, name, 'mtime'),
      mode: parseOctal(h, 100, 8, pos, name, 'mode'),
    });
    pos = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new TarError(pos, '', 'archive ends without its end-of-archive blocks (truncated)');
}
