/**
 * Charset detection and decoding. Russian and Chinese shops still serve windows-1251, koi8-r and
 * GBK pages, often with missing or wrong declarations, so the order is:
 *
 * 1. a byte-order mark (UTF-8, UTF-16LE/BE) wins;
 * 2. the Content-Type `charset`, then `<meta charset>` / `<meta http-equiv=content-type>` /
 *    `<?xml encoding?>` in the first 4 KB — with two corrections for lying declarations:
 *    a declared UTF-8 body that is not valid UTF-8 is sniffed (step 3), and a declared legacy
 *    charset whose body is valid UTF-8 with non-ASCII bytes is decoded as UTF-8;
 * 3. sniffing: valid UTF-8 → `utf-8`; otherwise Cyrillic by byte statistics (high bytes in runs,
 *    as in words of Cyrillic letters) → `windows-1251`, or `koi8-r` when the lower-case ranges
 *    say so; otherwise `windows-1252`.
 *
 * Labels follow the WHATWG Encoding Standard where it matters: gb2312/gbk → gb18030,
 * iso-8859-1/ascii → windows-1252, `utf-16` without a BOM → utf-16le.
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

const ALIASES: Record<string, string> = {
  utf8: 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'x-unicode20utf8': 'utf-8',
  gb2312: 'gb18030',
  gbk: 'gb18030',
  'x-gbk': 'gb18030',
  cp936: 'gb18030',
  'windows-936': 'gb18030',
  'iso-ir-58': 'gb18030',
  chinese: 'gb18030',
  'iso-8859-1': 'windows-1252',
  iso8859_1: 'windows-1252',
  'iso8859-1': 'windows-1252',
  latin1: 'windows-1252',
  l1: 'windows-1252',
  'us-ascii': 'windows-1252',
  ascii: 'windows-1252',
  cp1252: 'windows-1252',
  'x-cp1252': 'windows-1252',
  cp1251: 'windows-1251',
  'x-cp1251': 'windows-1251',
  koi8: 'koi8-r',
  koi: 'koi8-r',
  cskoi8r: 'koi8-r',
  'koi8-ru': 'koi8-u',
  sjis: 'shift_jis',
  'shift-jis': 'shift_jis',
  'x-sjis': 'shift_jis',
  ms_kanji: 'shift_jis',
  'windows-31j': 'shift_jis',
  csshiftjis: 'shift_jis',
  'big5-hkscs': 'big5',
  'x-x-big5': 'big5',
  'cn-big5': 'big5',
  'utf-16': 'utf-16le',
  unicode: 'utf-16le',
  'ucs-2': 'utf-16le',
  'iso-10646-ucs-2': 'utf-16le',
};

/** The canonical name of a charset label, or `null` when iconv-lite cannot decode it. */
export function normaliseCharset(label: string | undefined | null): string | null {
  if (!label) return null;
  const l = label
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  if (l === '') return null;
  const name = ALIASES[l] ?? l;
  return iconv.encodingExists(name) ? name : null;
}

/** The `charset` parameter of a Content-Type header value. */
export function charsetFromContentType(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const m = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return m?.[2] ?? null;
}

/** The charset declared in the first 4 KB of an HTML/XML document, if any. */
export function charsetFromMarkup(body: Buffer): string | null {
  const head = body.subarray(0, 4096).toString('latin1');
  const meta = /<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)/i.exec(head);
  if (meta?.[1]) return meta[1];
  const xml = /^\s*<\?xml\s[^>]*encoding\s*=\s*["']([A-Za-z0-9_:.-]+)["']/i.exec(head);
  return xml?.[1] ?? null;
}

function bomCharset(body: Buffer): string | null {
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  if (body.length >= 2 && body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  return null;
}

/**
 * Valid UTF-8, tolerating a multi-byte character cut at the end (truncated bodies). Checked in place
 * (`buffer.isUtf8`): decoding the body to a string only to throw it away made a page's worth of
 * garbage on every fetch.
 */
export function isValidUtf8(body: Buffer): boolean {
  if (isUtf8(body)) return true;
  // Cut short? Then the last character's lead byte is at most 3 bytes back, everything before it is
  // valid, and what follows it begins a character.
  for (let i = body.length - 1; i >= Math.max(0, body.length - 3); i--) {
    const b = body[i] as number;
    if (b < 0x80) return false;
    if (b >= 0xc0) return isUtf8(body.subarray(0, i)) && beginsCharacter(body.subarray(i));
  }
  return false;
}

/** True when `tail` (a few bytes) is the start of a UTF-8 character, cut short. */
function beginsCharacter(tail: Buffer): boolean {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(tail, { stream: true }) === '';
  } catch {
    return false;
  }
}

function hasHighBytes(body: Buffer): boolean {
  for (const b of body) if (b >= 0x80) return true;
  return false;
}

/**
 * Guess a single-byte charset for a body that is not UTF-8. Cyrillic text written in
 * windows-1251 or koi8-r has its letters in 0xC0-0xFF, next to each other (whole words);
 * Western text in windows-1252 has isolated accented letters among ASCII. Lower-case letters
 * dominate running text: 0xE0-0xFF in windows-1251, 0xC0-0xDF in koi8-r.
 */
export function sniffLegacyCharset(body: Buffer): 'windows-1251' | 'koi8-r' | 'windows-1252' {
  const sample = body.subarray(0, 64 * 1024);
  let letters = 0;
  let paired = 0;
  let low = 0; // 0xC0-0xDF
  let high = 0; // 0xE0-0xFF
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i] ?? 0;
    if (b < 0xc0) continue;
    letters++;
    if (b < 0xe0) low++;
    else high++;
    const prev = sample[i - 1] ?? 0;
    const next = sample[i + 1] ?? 0;
    if (prev >= 0xc0 || next >= 0xc0) paired++;
  }
  if (letters < 4 || paired / letters < 0.5) return 'windows-1252';
  return low > high ? 'koi8-r' : 'windows-1251';
}

export interface CharsetDecision {
  charset: string;
  /** Where the decision came from. */
  source: 'bom' | 'header' | 'meta' | 'sniff';
}

/** Decide the charset of a body (see the module comment for the order and the corrections). */
export function detectCharset(body: Buffer, contentTypeHeader: string | undefined): CharsetDecision {
  const bom = bomCharset(body);
  if (bom) return { charset: bom, source: 'bom' };

  const fromHeader = normaliseCharset(charsetFromContentType(contentTypeHeader));
  let declared: CharsetDecision | null = fromHeader ? { charset: fromHeader, source: 'header' } : null;
  if (!declared) {
    let fromMeta = normaliseCharset(charsetFromMarkup(body));
    // A document read as ASCII cannot really be UTF-16 (WHATWG: treat as UTF-8).
    if (fromMeta?.startsWith('utf-16')) fromMeta = 'utf-8';
    if (fromMeta) declared = { charset: fromMeta, source: 'meta' };
  }

  if (declared) {
    if (declared.charset.startsWith('utf-16')) return declared;
    const valid = isValidUtf8(body);
    if (declared.charset === 'utf-8') {
      if (valid) return declared;
    } else if (!(valid && hasHighBytes(body))) {
      return declared;
    } else {
      return { charset: 'utf-8', source: 'sniff' };
    }
  } else if (isValidUtf8(body)) {
    return { charset: 'utf-8', source: 'sniff' };
  }
  return { charset: sniffLegacyCharset(body), source: 'sniff' };
}

/** Decode with iconv-lite (BOM stripped) and remove NUL characters. */
export function decodeText(body: Buffer, charset: string): string {
  const text = iconv.decode(body, charset);
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

const MAGIC: Array<{ at: number; bytes: number[] }> = [
  { at: 0, bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { at: 0, bytes: [0x89, 0x50, 0x4e, 0x47] }, // PNG
  { at: 0, bytes: [0x47, 0x49, 0x46, 0x38] }, // GIF8
  { at: 0, bytes: [0xff, 0xd8, 0xff] }, // JPEG
  { at: 0, bytes: [0x50, 0x4b, 0x03, 0x04] }, // ZIP, docx, apk
  { at: 0, bytes: [0x1f, 0x8b] }, // gzip
  { at: 0, bytes: [0x42, 0x5a, 0x68] }, // bzip2
  { at: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf] }, // 7z
  { at: 0, bytes: [0x52, 0x61, 0x72, 0x21] }, // RAR
  { at: 0, bytes: [0x7f, 0x45, 0x4c, 0x46] }, // ELF
  { at: 0, bytes: [0x4d, 0x5a] }, // MZ (Windows executables)
  { at: 0, bytes: [0x00, 0x61, 0x73, 0x6d] }, // wasm
  { at: 0, bytes: [0x4f, 0x67, 0x67, 0x53] }, // Ogg
  { at: 0, bytes: [0x49, 0x44, 0x33] }, // MP3 (ID3)
  { at: 0, bytes: [0x52, 0x49, 0x46, 0x46] }, // RIFF (WebP, WAV, AVI)
  { at: 4, bytes: [0x66, 0x74, 0x79, 0x70] }, // ISO media (mp4, heic)
];

function isBinaryByte(b: number): boolean {
  return b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f);
}

/**
 * True when the start of a body is clearly not text (a known binary signature, or more than 10%
 * control bytes outside a UTF-16 body), whatever its Content-Type claims.
 */
export function looksBinary(head: Buffer, contentTypeHeader: string | undefined): boolean {
  for (const m of MAGIC) {
    if (head.length >= m.at + m.bytes.length && m.bytes.every((b, i) => head[m.at + i] === b)) return true;
  }
  const bom = bomCharset(head);
  if (bom?.startsWith('utf-16')) return false;
  if (normaliseCharset(charsetFromContentType(contentTypeHeader))?.startsWith('utf-16')) return false;
  const sample = head.subarray(0, 1024);
  if (sample.length === 0) return false;
  let control = 0;
  for (const b of sample) if (isBinaryByte(b)) control++;
  return control / sample.length > 0.1;
}
