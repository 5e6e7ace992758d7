import { countScripts, dominantScript, foldHomoglyphs, leetVariants } from './fold.ts';
import { MAX_QUANTITY_WORD } from './lexicon-schema.ts';
import { gluedTerms, RawMatch } from './match.ts';
import { LETTER } from '../unicode.ts';
import { isDigits, WORD_CHAR } from './tokenise.ts';
import type { CompiledLexicons } from './types.ts';

/**
 * Prices and quantities: a number followed (or preceded, for symbols) by a currency or a unit from
 * the lexicons' `quantities` lists: `1г — 3500₽`, `5 gr $100`, `1 гр 15000 тг`, `600 ming so'm`,
 * `400 сомонӣ`, `1克500元`; a bare number that a quantity or a Chinese unit just before it
 * prices (`1g 600`, `一粒180`), and a number in thousands (`17к`, `300 ming`). One pass over the
 * numbers of the text.
 */

const NUMBER = /\d+(?:[.,/]\d+)*/g;
/**
 * Thousands grouped by spaces after a number of one to three digits, as Russian and the region write
 * sums (`38 000 сўм`, `1 500₽`: one price, not `000 сўм`).
 */
const THOUSANDS_GROUPS = /(?:[ \u00a0\u202f]\d{3}(?!\d))+/y;
/**
 * The word after a number, read up to `MAX_QUANTITY_WORD` characters (the longest a currency or unit
 * may be, so a longer word is none), and no number costs more than that to look at. Read whole, the word
 * after every number of a page without spaces (Chinese, or a hostile page) was the rest of the page.
 */
const WORD = new RegExp(`[\\p{L}'’‘ʼʻ\`]{1,${MAX_QUANTITY_WORD}}`, 'uy');
/** A word with leet digits inside (`с0монӣ`, `gr4m`), read when the letters alone mean nothing. */
const LEET_WORD = new RegExp(`[\\p{L}'’‘ʼʻ\`][\\p{L}\\d'’‘ʼʻ\`]{0,${MAX_QUANTITY_WORD - 1}}`, 'uy');
const APOS = /['’‘ʼʻ`]/g;
const HAN = /\p{Script=Han}/u;
const SPACE_OR_DASH = /[\s\-–—:=+~]/;
/**
 * A Chinese numeral (or 每 "each") and a Chinese unit right before a number: `一克400`, `一 粒180`,
 * `每件300`. The number is the price of that one unit.
 */
const HAN_PER_UNIT = /([一二两三四五六七八九十半每])\s?(克|公斤|粒|片|颗|包|张|件|单|支|瓶)$/u;
const HAN_WEIGHT = new Set(['克', '公斤']);
/**
 * Multipliers that make a bare number a sum of money: thousands in Russian and the region's languages
 * (`17к`, `300 ming`, `15 мың`). Not Latin `k` (`4k video`, `10k followers`), nor `т` (tonnes).
 */
const THOUSANDS = new Set(['к', 'тыс', 'тысяч', 'ming', 'минг', 'мың', 'миң', 'ҳазор', 'hazor', 'hazar']);
/** What may stand between a quantity and the bare number after it that prices it: `1g 600`, `1г — 25к`, `1гр/3500`. */
const PRICE_GAP = /^[\s\-–—:=/]{1,4}$/;

interface Word {
  readonly word: string;
  readonly end: number;
}

function wordAt(text: string, pos: number): Word | null {
  let p = pos;
  // Skip up to two spaces/dashes.
  for (let k = 0; k < 2 && p < text.length && SPACE_OR_DASH.test(text[p]!); k++) p++;
  if (p >= text.length) return null;
  const c = text[p]!;
  if (HAN.test(c)) {
    // Chinese units are one or two characters: 克, 公斤.
    const two = text.slice(p, p + 2);
    return { word: HAN.test(two[1] ?? '') ? two : c, end: p + 1 };
  }
  WORD.lastIndex = p;
  const m = WORD.exec(text);
  if (!m) return { word: c, end: p + c.length };
  return { word: plain(m[0].replace(APOS, '')), end: p + m[0].length };
}

/** Homoglyphs folded toward the word's script (`mинг` → `минг`). */
function plain(word: string): string {
  const counts = countScripts(word);
  return counts.latin > 0 && counts.cyrillic > 0 ? foldHomoglyphs(word, dominantScript(counts)) : word;
}

/** The word at `pos` read with leet digits as letters, or null when it has none. */
function leetWordAt(text: string, pos: number): Word | null {
  let p = pos;
  for (let k = 0; k < 2 && p < text.length && SPACE_OR_DASH.test(text[p]!); k++) p++;
  LEET_WORD.lastIndex = p;
  const m = LEET_WORD.exec(text);
  if (!m || !/\d/.test(m[0])) return null;
  const raw = m[0].replace(APOS, '');
  const counts = countScripts(raw);
  const reading = leetVariants(raw, dominantScript(counts), counts)[0];
  return reading === undefined ? null : { word: plain(reading), end: p + m[0].length };
}

function known(lex: CompiledLexicons, word: string): boolean {
  return (
    lex.currencies.has(word) || lex.units.has(word) || lex.countUnits.has(word) || lex.multipliers.has(word)
  );
}

const HANDLE = /(?<![\p{L}\p{N}_.])@[a-z0-9_]{4,32}\b|\bt\.me\/[a-z0-9_+]{4,64}/gu;

/** Telegram-style handles (`@shop_bot`) and `t.me/...` links. */
export function scanHandles(text: string, out: RawMatch[] = []): RawMatch[] {
  if (!text.includes('@') && !text.includes('t.me/')) return out;
  for (const m of text.matchAll(HANDLE)) {
    out.push(new RawMatch(-1, m.index, m.index + m[0].length, 'exact', 'handle'));
  }
  return out;
}

const THREE_LETTERS = /\p{L}{3}$/u;

/**
 * Whether the number at `[start, end)`, glued after letters, is a quantity all the same: a unit glued
 * after it and a word of three letters or more before (`мефедрон1г`, `кокс0.5гр`), or a quantity
 * just before it (`1г3500р`, a price).
 */
function gluedDose(
  lex: CompiledLexicons,
  text: string,
  start: number,
  end: number,
  out: RawMatch[],
): boolean {
  const last = out.length > 0 ? out[out.length - 1]! : undefined;
  if (
    last !== undefined &&
    last.term < 0 &&
    last.end === start &&
    (last.label === 'quantity' || last.label === 'count')
  )
    return true;
  if (end >= text.length || !LETTER.test(text[end]!)) return false;
  if (!THREE_LETTERS.test(text.slice(Math.max(0, start - 3), start))) return false;
  const w = wordAt(text, end);
  if (w === null || !(lex.units.has(w.word) || lex.countUnits.has(w.word))) return false;
  // The unit ends the word (`EBK0kf9ApWO6UIvt6G1bAQ`, an ID, holds no `6g`), or a price does after a
  // substance's name (`меф1г3500`; `Banner1300x100` and an ID's `M65l390` are no dose).
  if (w.end >= text.length || !WORD_CHAR.test(text[w.end]!)) return true;
  return priceEnds(text, w.end) && gluedTerms(lex, lettersBefore(text, start)).length > 0;
}

/** The letters right before `pos`. */
function lettersBefore(text: string, pos: number): string {
  let from = pos;
  while (from > 0 && LETTER.test(text[from - 1]!)) from--;
  return text.slice(from, pos);
}

const GLUED_PRICE = /\d{3,6}\p{L}{0,3}/uy;

/** Whether a number of 3–6 digits, perhaps with a currency glued on, ends the word at `pos`. */
function priceEnds(text: string, pos: number): boolean {
  GLUED_PRICE.lastIndex = pos;
  if (!GLUED_PRICE.test(text)) return false;
  const end = GLUED_PRICE.lastIndex;
  return end >= text.length || !WORD_CHAR.test(text[end]!);
}

/** Finds prices and quantities in normalised text. */
export function scanQuantities(lex: CompiledLexicons, text: string, out: RawMatch[] = []): RawMatch[] {
  if (lex.units.size === 0 && lex.currencies.size === 0) return out;
  let groupedTo = 0;
  for (const m of text.matchAll(NUMBER)) {
    const start = m.index;
    if (start < groupedTo) continue;
    let num = m[0];
    let end = start + num.length;
    const before = start > 0 ? text[start - 1]! : '';
    // `jwh018`, `mdmb4en`: digits glued after letters are part of a name, not a number (nor is what
    // follows its thousands: `x300 200mg` is a count and a dose). Unless a unit is glued after them
    // too, to a word (`мефедрон1г`), or they follow a quantity (`1г3500р`).
    if (before && LETTER.test(before) && !HAN.test(before) && !gluedDose(lex, text, start, end, out))
      continue;
    if (num.length <= 3 && text.charCodeAt(end) <= 0x202f && isDigits(num)) {
      THOUSANDS_GROUPS.lastIndex = end;
      const groups = THOUSANDS_GROUPS.exec(text);
      if (groups !== null) {
        end += groups[0].length;
        num = text.slice(start, end);
        groupedTo = end;
      }
    }
    // Currency symbol before: `$100`, `₽ 3500`.
    let sym = before;
    if (sym === ' ' && start > 1) sym = text[start - 2]!;
    if (sym && !LETTER.test(sym) && lex.currencies.has(sym)) {
      out.push(new RawMatch(-1, start - (before === ' ' ? 2 : 1), end, 'exact', 'price'));
      continue;
    }
    let w = wordAt(text, end);
    if (w && !known(lex, w.word)) w = leetWordAt(text, end) ?? w;
    let multiplied = false;
    let thousands = false;
    if (w && lex.multipliers.has(w.word)) {
      end = w.end;
      multiplied = true;
      thousands = THOUSANDS.has(w.word.toLowerCase());
      w = wordAt(text, end);
      if (w && !known(lex, w.word)) w = leetWordAt(text, end) ?? w;
    }
    const priced = w !== null && lex.currencies.has(w.word);
    if (!priced && !(w && (lex.units.has(w.word) || lex.countUnits.has(w.word)))) {
      // A bare number priced by what stands before it: a unit in Chinese (`一粒180`), or a quantity
      // it follows closely (`1g 600`, `0.5g 400 ming`) when it is no small count (two digits or a multiplier).
      const han =
        start > 0 && HAN.test(text[start - 1]!)
          ? HAN_PER_UNIT.exec(text.slice(Math.max(0, start - 4), start))
          : null;
      if (han) {
        const unitStart = start - han[0].length;
        const label = HAN_WEIGHT.has(han[2]!) ? 'quantity' : 'count';
        out.push(new RawMatch(-1, unitStart, unitStart + han[1]!.length + han[2]!.length, 'exact', label));
        out.push(new RawMatch(-1, start, end, 'exact', 'price'));
        continue;
      }
      // `17к`, `4.5к`, `300 ming`: street prices are counted in thousands, the currency left out.
      if (thousands) {
        out.push(new RawMatch(-1, start, end, 'exact', 'price'));
        continue;
      }
      const last = out.length > 0 ? out[out.length - 1]! : undefined;
      if (
        last !== undefined &&
        last.term < 0 &&
        (last.label === 'quantity' || last.label === 'count') &&
        last.end <= start &&
        (multiplied || num.replace(/\D/g, '').length >= 2) &&
        // Or glued to a dose, ending the word (`меф1г3500`; not `5x100`, a count, nor an ID's `2G29Oru1`).
        (PRICE_GAP.test(text.slice(last.end, start)) ||
          (last.end === start && last.label === 'quantity' && priceEnds(text, start)))
      ) {
        out.push(new RawMatch(-1, start, end, 'exact', 'price'));
        continue;
      }
    }
    if (!w) continue;
    if (priced) {
      out.push(new RawMatch(-1, start, w.end, 'exact', 'price'));
    } else if (lex.countUnits.has(w.word)) {
      out.push(new RawMatch(-1, start, w.end, 'exact', 'count'));
    } else if (lex.units.has(w.word)) {
      const n = Number.parseInt(num, 10);
      // `2019г` is a year, not grams.
      if ((w.word === 'г' || w.word === 'г.') && n >= 1900 && n <= 2100) continue;
      out.push(new RawMatch(-1, start, w.end, 'exact', 'quantity'));
    }
  }
  return out;
}
