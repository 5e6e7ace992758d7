/**
 * Unicode-aware tokenising of normalised text: runs of letters and digits (`/[\p{L}\p{N}]+/u`,
 * which keeps қ ғ ў ҳ ё and Chinese), each emoji as a token of its own, words split by an
 * apostrophe joined (`so'm` → `som`, `oʻzbek`), and letter-spaced words collapsed
 * (`м е ф е д р о н`, `m.e.p.h`, `к.л.а.д` → one token) — given a `spells` test, only where the
 * letters spell a lexicon term (`м е ф е д р о н в наличии` → `мефедрон`, `в`, `наличии`).
 */

export interface Token {
  /** Start offset in the normalised text. */
  readonly start: number;
  /** End offset (exclusive) in the normalised text. */
  readonly end: number;
  /** Token text: the normalised slice without apostrophes/spacing. */
  readonly text: string;
  /** Collapsed from letter-spaced single letters. */
  readonly spaced: boolean;
  /** The gap before this token breaks a phrase (newline, sentence end, long gap). */
  readonly breakBefore: boolean;
}

const INNER_APOSTROPHE = /[ʼʻ]/g;
const HAS_INNER_APOSTROPHE = /[ʼʻ]/;
/** Gaps allowed between letter-spaced letters. */
const SPACING_GAP = /^[\s.\-_*·•,/|+~]{1,3}$/;
const LETTER = /\p{L}/u;

function breaks(norm: string, from: number, to: number): boolean {
  const len = to - from;
  if (len > 4) return true;
  for (let i = from; i < to; i++) {
    const c = norm.charCodeAt(i);
    // \n | \r \t
    if (c === 10 || c === 124 || c === 13 || c === 9) return true;
    // . ! ? ;
    if ((c === 46 || c === 33 || c === 63 || c === 59) && len >= 2) return true;
  }
  return false;
}

/** Character classes of the BMP, filled lazily: 1 letter/digit, 2 pictographic, 0 other. */
const CLASS = new Int8Array(0x10000).fill(-1);
const WORD_CHAR = /[\p{L}\p{N}]/u;
const PICTO = /\p{Extended_Pictographic}/u;

function classOf(c: number): number {
  let k = CLASS[c]!;
  if (k < 0) {
    const ch = String.fromCharCode(c);
    k = WORD_CHAR.test(ch) ? 1 : PICTO.test(ch) ? 2 : 0;
    CLASS[c] = k;
  }
  return k;
}
for (let c = 0; c < 128; c++) classOf(c);

/** One raw run of letters/digits (or one emoji), before letter-spacing is collapsed. */
class Run {
  start: number;
  end: number;
  text: string;
  constructor(start: number, end: number, text: string) {
    this.start = start;
    this.end = end;
    this.text = text;
  }
}

function isApostrophe(c: number): boolean {
  // ' ’ ‘ ` ʼ ʻ
  return c === 39 || c === 0x2019 || c === 0x2018 || c === 96 || c === 0x2bc || c === 0x2bb;
}

function isLetterAt(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  return LETTER.test(text[at]!);
}

/** The texts of `raw[a..b)` joined. */
function joined(raw: readonly Run[], a: number, b: number): string {
  let text = '';
  for (let k = a; k < b; k++) text += raw[k]!.text;
  return text;
}

/**
 * Whether a collapsed run of letters spells a lexicon term: `3` as a form itself, `2` by its
 * letters otherwise (stem, suffix, homoglyphs, leetspeak, transliteration), `1` only by a fuzzy
 * match, `0` not at all.
 */
export type Spells = (text: string) => 0 | 1 | 2 | 3;

/**
 * Words of one letter (Russian prepositions and conjunctions, English `a`, `i`): a spaced term
 * next to one (`з а к л а д к и в городе`) is read without it when it spells a term either way.
 */
const ONE_LETTER_WORDS = new Set(['а', 'в', 'и', 'к', 'о', 'с', 'у', 'я', 'a', 'i']);

/** Longest word a run of spaced letters is searched for (the longest lexicon word is shorter). */
const MAX_SPELLED = 32;

function lettersIn(raw: readonly Run[], a: number, b: number): number {
  let n = 0;
  for (let k = a; k < b; k++) if (isLetterAt(raw[k]!.text, 0)) n++;
  return n;
}

/**
 * Splits the spaced run `raw[r..j)` into the words it spells: from the left, the longest stretch of
 * three or more letters (starting and ending on a letter) that spells a term becomes one token, and
 * letters no such stretch covers stay single-letter words (`и`, `в`, `a`). A stretch that reads only
 * by stem gives back a one-letter word at either end when it still spells a term without it
 * (`з а к л а д к и в` → `закладки`, `в`). A run whose only reading
 * is a fuzzy one (a typo in a spaced name) is collapsed whole.
 */
function collapseSpelled(
  raw: readonly Run[],
  r: number,
  j: number,
  spells: Spells,
  push: (a: number, b: number) => void,
): void {
  const found: Array<[number, number]> = [];
  let k = r;
  while (k < j) {
    let hit = -1;
    let full = 0;
    if (isLetterAt(raw[k]!.text, 0)) {
      for (let b = Math.min(j, k + MAX_SPELLED); b >= k + 3; b--) {
        if (!isLetterAt(raw[b - 1]!.text, 0) || lettersIn(raw, k, b) < 3) continue;
        full = spells(joined(raw, k, b));
        if (full >= 2) {
          hit = b;
          break;
        }
      }
    }
    if (hit > 0) {
      let a = k;
      // `закладкив` reads by stem only; `альфа` is a form itself and keeps its last `а`.
      if (
        full !== 3 &&
        hit - a > 3 &&
        ONE_LETTER_WORDS.has(raw[hit - 1]!.text) &&
        lettersIn(raw, a, hit - 1) >= 3 &&
        spells(joined(raw, a, hit - 1)) >= 2
      )
        hit--;
      if (
        full !== 3 &&
        hit - a > 3 &&
        ONE_LETTER_WORDS.has(raw[a]!.text) &&
        lettersIn(raw, a + 1, hit) >= 3 &&
        spells(joined(raw, a + 1, hit)) >= 2
      )
        a++;
      found.push([a, hit]);
      k = hit;
    } else k++;
  }
  if (found.length === 0 && j - r <= MAX_SPELLED && spells(joined(raw, r, j)) === 1) found.push([r, j]);
  let at = r;
  for (const [a, b] of found) {
    for (; at < a; at++) push(at, at + 1);
    push(a, b);
    at = b;
  }
  for (; at < j; at++) push(at, at + 1);
}

/**
 * Splits normalised text into tokens; see the module comment. Without `spells`, every run of three
 * or more spaced letters is collapsed into one token; with it, only the stretches that spell a
 * lexicon term are (see `collapseSpelled`), so spaced ordinary words and single-letter words stay apart.
 */
export function tokenise(norm: string, spells?: Spells): Token[] {
  const raw: Run[] = [];
  const n = norm.length;
  let i = 0;
  while (i < n) {
    const c = norm.charCodeAt(i);
    let k: number;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const pair = norm.slice(i, i + 2);
      width = 2;
      k = WORD_CHAR.test(pair) ? 1 : PICTO.test(pair) ? 2 : 0;
    } else k = classOf(c);
    if (k === 0) {
      i += width;
      continue;
    }
    const start = i;
    i += width;
    if (k === 1) {
      while (i < n) {
        const d = norm.charCodeAt(i);
        if (d >= 0xd800 && d <= 0xdbff && i + 1 < n) {
          if (!WORD_CHAR.test(norm.slice(i, i + 2))) break;
          i += 2;
        } else if (classOf(d) === 1) i++;
        else break;
      }
    }
    const prev = raw.length > 0 ? raw[raw.length - 1]! : undefined;
    // Join `so'm`, `o'zbek`: letter + one apostrophe + letter.
    if (
      prev !== undefined &&
      k === 1 &&
      start === prev.end + 1 &&
      isApostrophe(norm.charCodeAt(prev.end)) &&
      isLetterAt(norm, prev.end - 1) &&
      isLetterAt(norm, start)
    ) {
      prev.end = i;
      prev.text += norm.slice(start, i);
      continue;
    }
    raw.push(new Run(start, i, norm.slice(start, i)));
  }
  const out: Token[] = [];
  const push = (a: number, b: number): void => {
    const t = raw[a]!;
    const text = b - a === 1 ? t.text : joined(raw, a, b);
    out.push({
      start: t.start,
      end: raw[b - 1]!.end,
      text: b - a === 1 && HAS_INNER_APOSTROPHE.test(text) ? text.replace(INNER_APOSTROPHE, '') : text,
      spaced: b - a > 1,
      breakBefore: a === 0 || breaks(norm, raw[a - 1]!.end, t.start),
    });
  };
  let r = 0;
  while (r < raw.length) {
    const t = raw[r]!;
    // Letter-spacing: three or more single letters separated by short gaps.
    if (t.text.length === 1 && isLetterAt(t.text, 0)) {
      let j = r + 1;
      let letters = 1;
      while (
        j < raw.length &&
        raw[j]!.text.length === 1 &&
        SPACING_GAP.test(norm.slice(raw[j - 1]!.end, raw[j]!.start))
      ) {
        if (isLetterAt(raw[j]!.text, 0)) letters++;
        j++;
      }
      // A run ends on a letter (`m 3 p h 5 g` keeps `5` out); digits inside are leetspeak.
      while (j > r + 1 && !isLetterAt(raw[j - 1]!.text, 0)) j--;
      if (letters >= 3 && j - r >= 3) {
        if (spells === undefined) push(r, j);
        else collapseSpelled(raw, r, j, spells, push);
        r = j;
        continue;
      }
    }
    push(r, r + 1);
    r++;
  }
  return out;
}
