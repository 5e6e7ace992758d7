/**
 * Characters pages use to disguise text, and what counts as a letter, read the same way by the
 * classifier (`classify/`) and the identifier extractor (`extract/identifiers`).
 */

/**
 * Characters that show nothing: zero-width spaces and joiners, the soft hyphen, direction marks,
 * embeddings, overrides and isolates, word joiners and invisible operators, the BOM, Hangul and
 * Khmer fillers, variation selectors, skin tones, tag characters. A page slips them into a word or
 * an address to break matching (`меф\u200bедрон`, `bc1q…\u2066\u2069…`); both read the text
 * without them.
 */
export const INVISIBLE_SOURCE = [
  '[\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e' +
    '\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0]',
  '[\\u{1f3fb}-\\u{1f3ff}]',
  '[\\u{e0000}-\\u{e007f}]',
  '[\\u{e0100}-\\u{e01ef}]',
].join('|');
/** One invisible character (test). */
export const INVISIBLE = new RegExp(INVISIBLE_SOURCE, 'u');
/** Every invisible character (replace). */
export const INVISIBLE_G = new RegExp(INVISIBLE_SOURCE, 'gu');

/**
 * A letter of fancy-text generators that NFKC does not read as the letter, as the Latin letter it
 * shows, else null: negative circled and negative squared (`🅐`, `🅼`, which NFKC leaves as they are)
 * and parenthesised (`⒨`, which NFKC writes `(m)`).
 */
export function enclosedLetter(cp: number): string | null {
  if (cp >= 0x249c && cp <= 0x24b5) return String.fromCharCode(0x61 + cp - 0x249c);
  if (cp >= 0x1f150 && cp <= 0x1f169) return String.fromCharCode(0x61 + cp - 0x1f150);
  if (cp >= 0x1f170 && cp <= 0x1f189) return String.fromCharCode(0x61 + cp - 0x1f170);
  return null;
}

/** A letter (test one character). */
export const LETTER = /\p{L}/u;

/**
 * Whether the UTF-16 unit at `i` of `text` is a letter (`\p{L}`); false outside the text. Latin and
 * Cyrillic letters, most of what the region's pages hold, are told without the pattern (U+0482–0489,
 * a sign and combining marks, are the Cyrillic block's only non-letters).
 */
export function isLetterAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const c = text.charCodeAt(i);
  if (c < 0x80) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (c >= 0x400 && c <= 0x4ff) return c <= 0x481 || c >= 0x48a;
  return LETTER.test(text[i]!);
}
