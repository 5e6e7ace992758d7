/**
 * Undoing the tricks sellers use to slip identifiers past filters. Spaced letters, `t . me`,
 * `[.]` and split digits are handled by the extractors' own patterns; this module folds Cyrillic
 * look-alike letters inside an otherwise Latin token ("@mеf_shop" with a Cyrillic `е`).
 */

const HOMOGLYPHS: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  х: 'x',
  у: 'y',
  к: 'k',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  У: 'Y',
};

/** The Cyrillic letters `foldHomoglyphs` reads as Latin ones, for a character class: `[A-Za-z${LOOKALIKES}]`. */
export const LOOKALIKES = Object.keys(HOMOGLYPHS).join('');

/** A Cyrillic letter. */
export const CYRILLIC = /[\u0400-\u04ff]/;

/**
 * `token` with Cyrillic look-alikes replaced by Latin letters. Unchanged when it has no Cyrillic;
 * null when it is mostly Cyrillic (a Russian word such as "сахар", not a disguised handle).
 */
export function foldHomoglyphs(token: string): string | null {
  if (!CYRILLIC.test(token)) return token;
  let latin = 0;
  let cyr = 0;
  let out = '';
  for (const ch of token) {
    const mapped = HOMOGLYPHS[ch];
    if (mapped !== undefined) {
      cyr++;
      out += mapped;
    } else {
      if (/[A-Za-z]/.test(ch)) latin++;
      out += ch;
    }
  }
  return latin >= 2 && latin >= cyr ? out : null;
}
