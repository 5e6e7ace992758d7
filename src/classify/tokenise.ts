/**
 * Unicode-aware tokenising of normalised text: runs of letters and digits (`/[\p{L}\p{N}]+/u`,
 * which keeps қ ғ ў ҳ ё and Chinese; a run of Han characters and one of other letters are two
 * tokens even when nothing separates them), each emoji as a token of its own, words split by an
 * apostrophe joined (`so'm` → `som`, `oʻzbek`), and letter-spaced words collapsed
 * (`м е ф е д р о н`, `m.e.p.h` → one token).
 */

import { isLetterAt } from '../unicode.ts';
import { isHan } from './fold.ts';

export interface Token {
  /** Start offset in the normalised text. */
  readonly start: number;
  /** End offset (exclusive) in the normalised text. */
  readonly end: number;
  /** Token text: the normalised slice without apostrophes/spacing. */
  readonly text: string;
  /** Collapsed from letter-spaced single letters. */
  readonly spaced: boolean;
  /**
   * For a letter-spaced token: the normalised-text offset of each character of `text`, so a term
   * found inside the run (`p l a y b o y m d m a` holds `mdma`) maps back to its own letters.
   */
  readonly letters?: readonly number[] | undefined;
  /** The gap before this token breaks a phrase (newline, sentence end, long gap). */
  readonly breakBefore: boolean;
}

const INNER_APOSTROPHE = /[ʼʻ]/g;
/** Gaps allowed between letter-spaced letters. */
const SPACING_GAP = /^[\s.\-_*·•,/|+~]{1,3}$/;
/** One emoji between letter-spaced letters, spaces around it or not (`М💎Е💎Ф`, `м ❄ е ❄ ф`). */
const EMOJI_GAP = /^\s?\p{Extended_Pictographic}\s?$/u;
/** A letter or a digit; a word of letters only (shared by the classifier's modules). */
export const WORD_CHAR = /[\p{L}\p{N}]/u;
export const LETTERS_ONLY = /^\p{L}+$/u;

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

/**
 * A token as `tokenise` builds it: one class with every field present, so the matcher and the model
 * read one object shape; `end` and `text` grow while an apostrophe joins the next run on.
 */
class Tok implements Token {
  constructor(
    readonly start: number,
    public end: number,
    public text: string,
    readonly spaced: boolean,
    readonly letters: readonly number[] | undefined,
    readonly breakBefore: boolean,
  ) {}
}

/** ʼ ʻ: letters (modifier letters) that a token's text leaves out. */
function isInner(c: number): boolean {
  return c === 0x2bc || c === 0x2bb;
}

function isApostrophe(c: number): boolean {
  // ' ’ ‘ ` ʼ ʻ
  return c === 39 || c === 0x2019 || c === 0x2018 || c === 96 || c === 0x2bc || c === 0x2bb;
}

/**
 * A copy of `s` that does not hold on to the text it was cut from. V8 keeps a substring of 13 or
 * more characters as a view of its parent, so a token kept in a cache would keep its whole page
 * (10 KB and more) alive: at 25,000 pages the token caches held 11 MB of page texts. Concatenating
 * and cutting again makes a flat copy. For what caches keep, not for every token.
 */
export function unpinned(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * Whether a token is a number (ASCII digits only): the lexicon layer and the model read a number by
 * its shape and keep none in their memos (a page's prices, order numbers and dates would fill them).
 */
export function isDigits(text: string): boolean {
  return text.length > 0 && digitsFrom(text, 0);
}

/**
 * Whether a token is a number glued to the numero sign, which normalising writes `no` (`заказ №521400`
 * → `no521400`, see `normalise.ts`), so each order or ad number would be a word of its own. Read like
 * a number (`no4` still spells the heroin grade `no 4` as a phrase).
 */
export function isNumero(text: string): boolean {
  return text.length > 2 && text.charCodeAt(0) === 110 && text.charCodeAt(1) === 111 && digitsFrom(text, 2);
}

/** A number's or numbered token's shape (`1150` → `0000`, `no521400` → `no000000`), else null. */
export function numberShape(text: string): string | null {
  if (isDigits(text)) return '0'.repeat(text.length);
  if (isNumero(text)) return `no${'0'.repeat(text.length - 2)}`;
  return null;
}

/**
 * Whether a token holds an ID: five digits in a row among letters (`item483920`, `id10234567`, an order,
 * ad or phone number glued to a word). Both layers read it by its shape and keep none in their memos:
 * each is new, a page holds dozens, and the words the memos keep would make way for them.
 */
export function hasIdRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run === 5) return true;
    } else run = 0;
  }
  return false;
}

/** An ID token's shape: its digits as 0 (`item483920` → `item000000`). */
export function idShape(text: string): string {
  return text.replace(/\d/g, '0');
}

function digitsFrom(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Splits normalised text into tokens; see the module comment. */
export function tokenise(norm: string): Token[] {
  // One pass makes the tokens of the raw runs (runs of letters/digits, or one emoji); a second pass,
  // only when there are three single letters to collapse, replaces letter-spaced runs in place.
  const out: Tok[] = [];
  const n = norm.length;
  let singles = 0;
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
    // Inner apostrophes (`oʻzbek`) are letters inside the run, dropped from the token's text.
    // (Checked on both units of a pair: an unpaired surrogate before `ʼ` passes as a pair.)
    let inner = isInner(c) || (width === 2 && isInner(norm.charCodeAt(start + 1)));
    if (k === 1) {
      // Chinese glues Latin words and numbers to its own (`BTC支付`, `飞机联系`, `冰0.5g`): a run
      // ends where it passes between Han and other letters, so each side is a word of its own.
      const han = width === 1 && isHan(c);
      while (i < n) {
        const d = norm.charCodeAt(i);
        if (d >= 0xd800 && d <= 0xdbff && i + 1 < n) {
          if (!WORD_CHAR.test(norm.slice(i, i + 2))) break;
          if (isInner(norm.charCodeAt(i + 1))) inner = true;
          i += 2;
        } else if (classOf(d) === 1) {
          if (isHan(d) !== han) break;
          if (isInner(d)) inner = true;
          i++;
        } else break;
      }
    }
    const run = norm.slice(start, i);
    const text = inner ? run.replace(INNER_APOSTROPHE, '') : run;
    const prev = out.length > 0 ? out[out.length - 1]! : undefined;
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
      prev.text += text;
      continue;
    }
    if (i - start === 1 && isLetterAt(norm, start)) singles++;
    out.push(new Tok(start, i, text, false, undefined, prev === undefined || breaks(norm, prev.end, start)));
  }
  return singles >= 3 ? collapseSpacing(norm, out) : out;
}

/** A token of one letter or digit. */
function isSingle(norm: string, t: Tok): boolean {
  return t.end - t.start === 1 && classOf(norm.charCodeAt(t.start)) === 1;
}

/** A token of one emoji. */
function isEmojiTok(norm: string, t: Tok): boolean {
  return t.end - t.start <= 2 && PICTO.test(norm.slice(t.start, t.end));
}

/**
 * Letter-spacing: three or more single letters separated by the same short gap make one token (in
 * place: the tokens the runs came from are left out). A token of one character is a raw run of one.
 */
function collapseSpacing(norm: string, raw: Tok[]): Token[] {
  let w = 0;
  let r = 0;
  while (r < raw.length) {
    const t = raw[r]!;
    if (t.end - t.start === 1 && isLetterAt(norm, t.start)) {
      let j = r + 1;
      let letters = 1;
      // The run's first gap is its spacing; a different gap (`м е ф  б а р`, `m_e_f b_o_r`) is
      // the space between two spaced words, and ends the run.
      let spacing: string | undefined;
      // An emoji between the letters is spacing too, and a token of its own: `step` 2 skips it.
      let step = 1;
      while (j < raw.length) {
        let next = j;
        if (isEmojiTok(norm, raw[j]!)) {
          if (step === 1 && spacing !== undefined) break;
          if (j + 1 >= raw.length || !isSingle(norm, raw[j + 1]!)) break;
          next = j + 1;
        } else if (!isSingle(norm, raw[j]!)) break;
        const gap = norm.slice(raw[j - 1]!.end, raw[next]!.start);
        const emoji = next !== j;
        if (emoji ? !EMOJI_GAP.test(gap) : step === 2) break;
        if (spacing === undefined ? !emoji && !SPACING_GAP.test(gap) : gap !== spacing) break;
        spacing = gap;
        step = emoji ? 2 : 1;
        if (isLetterAt(norm, raw[next]!.start)) letters++;
        j = next + 1;
      }
      // A run ends on a letter (`m 3 p h 5 g` keeps `5` out); digits inside are leetspeak.
      while (j > r + 1 && !isLetterAt(norm, raw[j - 1]!.start)) j -= step;
      if (letters >= 3 && j - r >= 3) {
        let text = '';
        const at: number[] = [];
        for (let k = r; k < j; k += step) {
          text += norm[raw[k]!.start];
          at.push(raw[k]!.start);
        }
        raw[w++] = new Tok(t.start, raw[j - 1]!.end, text, true, at, t.breakBefore);
        r = j;
        continue;
      }
    }
    raw[w++] = t;
    r++;
  }
  raw.length = w;
  return raw;
}
