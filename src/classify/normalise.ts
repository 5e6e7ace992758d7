/**
 * Character-level normalisation with a map back to the original text.
 *
 * `normaliseText` applies, per grapheme-ish segment (a base code point and its combining marks):
 * Unicode NFKC, case folding (`toLowerCase`), removal of invisible characters (zero-width
 * spaces/joiners, soft hyphen, BOM, variation selectors, emoji skin tones, tag characters),
 * removal of leftover combining marks (stress accents), and a few folds that every lexicon form
 * goes through too: `ё → е`, Greek look-alikes to Latin (`α β μ → a b u`, `Α Μ Ρ → a m p`).
 *
 * Every UTF-16 unit of the result remembers the `[start, end)` of the original segment it came
 * from, so a match in normalised text maps back to the exact original span. Pure ASCII text takes
 * a fast path with an identity map.
 *
 * Token-level folds (homoglyphs toward the token's dominant script, leetspeak, transliteration)
 * live in `fold.ts`; they work on tokens and never change spans.
 */

import { Buffer } from 'node:buffer';
import { INVISIBLE, INVISIBLE_G, enclosedLetter } from '../unicode.ts';

export interface NormalisedText {
  /** The normalised text. */
  readonly text: string;
  /** Original start offset of each UTF-16 unit of `text`; `null` means the identity map. */
  readonly starts: Int32Array | null;
  /** Original end offset (exclusive) of each UTF-16 unit of `text`; `null` means the identity map. */
  readonly ends: Int32Array | null;
}

const MARKS_G = /\p{M}/gu;
const COMBINING = /\p{M}/u;
/**
 * Folds applied to every character: `ё → е`, and Greek letters (not a target language) and Latin
 * small capitals, which NFKC leaves as they are, to the Latin letters they pass for in "fancy text"
 * (`Cσcαιηє` → `cocaine`, `µg` → `ug`, `ᴍᴅᴍᴀ` → `mdma`).
 */
const EXTRA_FOLDS: Record<string, string> = {
  ё: 'е',
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  μ: 'u',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  σ: 'o',
  ς: 'c',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  ƒ: 'f',
  ᴀ: 'a',
  ʙ: 'b',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ꜰ: 'f',
  ɢ: 'g',
  ʜ: 'h',
  ɪ: 'i',
  ᴊ: 'j',
  ᴋ: 'k',
  ʟ: 'l',
  ᴍ: 'm',
  ɴ: 'n',
  ᴏ: 'o',
  ᴘ: 'p',
  ʀ: 'r',
  ꜱ: 's',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ʏ: 'y',
  ᴢ: 'z',
};
const EXTRA_G = new RegExp(`[${Object.keys(EXTRA_FOLDS).join('')}]`, 'g');
/**
 * Greek capitals that look like Latin ones, as the Latin letter they show: lowercased first, `Μ` would
 * be `μ`, which is `u` (`µg`), and `ΜDΜΑ` would read `udua`.
 */
const GREEK_CAPITALS: Record<string, string> = {
  Α: 'a',
  Β: 'b',
  Ε: 'e',
  Ζ: 'z',
  Η: 'h',
  Ι: 'i',
  Κ: 'k',
  Μ: 'm',
  Ν: 'n',
  Ο: 'o',
  Ρ: 'p',
  Τ: 't',
  Υ: 'y',
  Χ: 'x',
};
/** Latin letters with diacritics (Latin-1 Supplement, Extended-A/B, Additional): `ï` → `i`. */
const LATIN_DIACRITIC = /[\u00c0-\u024f\u1e00-\u1eff]/;

/**
 * Letterlike symbols that NFKC spells as letters (`™` → `TM`, `№` → `No`, `℡` → `TEL`). Glued to a
 * word they would change it (`Cocaine™` → `cocainetm`): `™ ℠ ℡` become a space. `№` glued to a number
 * is `no`, as NFKC writes it (`Порошок №4`: the heroin grade; `№521400` then reads as a number, see
 * `isNumero`). Elsewhere it stays itself, a sign between words: as `No`, `№ 4`, the way Russian numbers
 * an ad, a flat or a school, read as the heroin grade `no 4`; as a space, a pack size (`50 мг № 10`)
 * would read as a price.
 */
const WORD_SYMBOLS: Record<string, string> = { '№': '№', '™': ' ', '℠': ' ', '℡': ' ' };
const NUMERO = 0x2116;

/** `№` right before an ASCII digit: written `no` (see `WORD_SYMBOLS`). */
function numeroGlued(c: number, next: number): boolean {
  return c === NUMERO && next >= 48 && next <= 57;
}

const segmentCache = new Map<string, string>();

function foldSegment(seg: string): string {
  let out = segmentCache.get(seg);
  if (out !== undefined) return out;
  const symbol = WORD_SYMBOLS[seg] ?? GREEK_CAPITALS[seg] ?? enclosedLetter(seg.codePointAt(0)!);
  if (symbol !== null && symbol !== undefined) return symbol;
  out = seg.normalize('NFKC').toLowerCase().replace(INVISIBLE_G, '');
  // NFKC composes what can be composed (и + ̆ → й); what is left over (stress marks) goes.
  if (out.length > 1 || COMBINING.test(out)) out = out.replace(MARKS_G, '');
  if (LATIN_DIACRITIC.test(out)) {
    const stripped = out.normalize('NFD').replace(MARKS_G, '');
    // Only when the letter decomposes to a plain one (keeps ß, æ, ø, ı as they are).
    if (stripped.length === out.length) out = stripped;
  }
  out = out.replace(EXTRA_G, (c) => EXTRA_FOLDS[c] ?? c);
  if (segmentCache.size > 50_000) segmentCache.clear();
  segmentCache.set(seg, out);
  return out;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII test is deliberate
const NON_ASCII = /[^\x00-\x7f]/;

/** Per BMP code unit: its fold when it is one code unit (≥ 0), `REMOVED`, `SLOW`, or not yet known. */
const UNKNOWN = -3;
const SLOW = -2;
const REMOVED = -1;
const FOLD = new Int32Array(0x10000).fill(UNKNOWN);
/** Per BMP code unit: 1 when it is a combining mark that attaches to the previous character. */
const MARK = new Int8Array(0x10000).fill(-1);

function foldOf(c: number): number {
  let f = FOLD[c]!;
  if (f !== UNKNOWN) return f;
  if (c >= 0xd800 && c <= 0xdfff) f = SLOW;
  else {
    const folded = foldSegment(String.fromCharCode(c));
    f = folded.length === 0 ? REMOVED : folded.length === 1 ? folded.charCodeAt(0) : SLOW;
  }
  FOLD[c] = f;
  return f;
}

function isMark(c: number): boolean {
  let k = MARK[c]!;
  if (k < 0) {
    const ch = String.fromCharCode(c);
    k = c >= 0xd800 && c <= 0xdfff ? 0 : COMBINING.test(ch) && !INVISIBLE.test(ch) ? 1 : 0;
    MARK[c] = k;
  }
  return k === 1;
}

/** Per BMP code unit: 1 when it folds to what `toLowerCase` makes of it alone, 0 when not, -1 not yet known. */
const AS_LOWERCASE = new Int8Array(0x10000).fill(-1);

/**
 * Whether `input` folds as `toLowerCase` writes it, unit for unit: no unit with a fold of its own
 * (`ё`, a Greek look-alike, a fullwidth letter), no mark, no surrogate, no `№`. Most pages in Russian
 * and Kazakh are: the native lowercasing then does in one call what the loop below does unit by unit.
 */
function foldsAsLowercase(input: string): boolean {
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c < 0x80) continue;
    let k = AS_LOWERCASE[c]!;
    if (k < 0) {
      const lower = String.fromCharCode(c).toLowerCase();
      k = c !== NUMERO && lower.length === 1 && foldOf(c) === lower.charCodeAt(0) ? 1 : 0;
      AS_LOWERCASE[c] = k;
    }
    if (k === 0) return false;
  }
  return true;
}

/** Normalises `input` for matching; see the module comment. */
export function normaliseText(input: string): NormalisedText {
  if (!NON_ASCII.test(input) || foldsAsLowercase(input))
    return { text: input.toLowerCase(), starts: null, ends: null };
  const n = input.length;
  let buf = new Uint16Array(n + 16);
  // While every unit folds to one unit the map is the identity: that prefix is not written into
  // `starts`/`ends`, and a text that is all such units (most are) returns `null` maps.
  let i = 0;
  while (i < n) {
    const c = input.charCodeAt(i);
    let f = c >= 65 && c <= 90 ? c + 32 : c;
    if (c >= 0x80) {
      const next = i + 1 < n ? input.charCodeAt(i + 1) : 0;
      if ((next >= 0x300 && isMark(next)) || numeroGlued(c, next)) break;
      f = foldOf(c);
      if (f < 0) break;
    }
    buf[i] = f;
    i++;
  }
  if (i === n) return { text: utf16(buf, n), starts: null, ends: null };
  let starts = new Int32Array(n + 16);
  let ends = new Int32Array(n + 16);
  for (let k = 0; k < i; k++) {
    starts[k] = k;
    ends[k] = k + 1;
  }
  let len = i;
  const ensure = (extra: number) => {
    if (len + extra <= starts.length) return;
    const size = Math.max(starts.length * 2, len + extra);
    const b2 = new Uint16Array(size);
    b2.set(buf);
    buf = b2;
    const s2 = new Int32Array(size);
    s2.set(starts);
    starts = s2;
    const e2 = new Int32Array(size);
    e2.set(ends);
    ends = e2;
  };
  while (i < n) {
    const c = input.charCodeAt(i);
    // ASCII: lowercased, identity map.
    if (c < 0x80) {
      ensure(1);
      buf[len] = c >= 65 && c <= 90 ? c + 32 : c;
      starts[len] = i;
      ends[len] = i + 1;
      len++;
      i++;
      continue;
    }
    // Fast path: a BMP character with a one-unit fold, not followed by a combining mark.
    const next = i + 1 < n ? input.charCodeAt(i + 1) : 0;
    if ((next < 0x300 || !isMark(next)) && !numeroGlued(c, next)) {
      const f = foldOf(c);
      if (f === REMOVED) {
        i++;
        continue;
      }
      if (f >= 0) {
        ensure(1);
        buf[len] = f;
        starts[len] = i;
        ends[len] = i + 1;
        len++;
        i++;
        continue;
      }
    }
    // One code point plus any following combining marks.
    const start = i;
    const cp = input.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    while (i < n) {
      const d = input.charCodeAt(i);
      if (d < 0x300) break;
      const nextCp = input.codePointAt(i)!;
      const ch = String.fromCodePoint(nextCp);
      if (!COMBINING.test(ch) || INVISIBLE.test(ch)) break;
      i += nextCp > 0xffff ? 2 : 1;
    }
    const folded = numeroGlued(cp, i < n ? input.charCodeAt(i) : 0)
      ? 'no'
      : foldSegment(input.slice(start, i));
    if (folded.length === 0) continue;
    ensure(folded.length);
    for (let k = 0; k < folded.length; k++) {
      buf[len] = folded.charCodeAt(k);
      starts[len] = start;
      ends[len] = i;
      len++;
    }
  }
  return { text: utf16(buf, len), starts: starts.subarray(0, len), ends: ends.subarray(0, len) };
}

/** UTF-16 code units to a string in one native call (lone surrogates are kept as they are). */
function utf16(buf: Uint16Array, len: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset, len * 2).toString('utf16le');
}

/** Maps a `[start, end)` span of normalised text back to the original text. */
export function originalSpan(norm: NormalisedText, start: number, end: number): [number, number] {
  if (!norm.starts || !norm.ends) return [start, end];
  if (end <= start) {
    const at = start < norm.starts.length ? norm.starts[start]! : (norm.ends[norm.ends.length - 1] ?? 0);
    return [at, at];
  }
  return [norm.starts[start]!, norm.ends[end - 1]!];
}
