import type { RawMatch } from './match.ts';
import type { CompiledLexicons } from './types.ts';

/**
 * Prices and quantities: a number followed (or preceded, for symbols) by a currency or a unit from
 * the lexicons' `quantities` lists: `1г — 3500₽`, `5 gr $100`, `1 гр 15000 тг`, `600 ming so'm`,
 * `400 сомонӣ`, `1克500元`. One pass over the numbers of the text.
 */

const NUMBER = /\d+(?:[.,/]\d+)*/g;
const WORD = /[\p{L}'’‘ʼʻ`]+/uy;
const APOS = /['’‘ʼʻ`]/g;
const HAN = /\p{Script=Han}/u;
const LETTER = /\p{L}/u;
const SPACE_OR_DASH = /[\s\-–—:=+~]/;

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
  return { word: m[0].replace(APOS, ''), end: p + m[0].length };
}

const HANDLE = /(?<![\p{L}\p{N}_.])@[a-z0-9_]{4,32}\b|\bt\.me\/[a-z0-9_+]{4,64}/gu;

/** Telegram-style handles (`@shop_bot`) and `t.me/...` links. */
export function scanHandles(text: string): RawMatch[] {
  const out: RawMatch[] = [];
  if (!text.includes('@') && !text.includes('t.me/')) return out;
  for (const m of text.matchAll(HANDLE)) {
    out.push({ term: -1, start: m.index, end: m.index + m[0].length, via: 'exact', label: 'handle' });
  }
  return out;
}

/** Finds prices and quantities in normalised text. */
export function scanQuantities(lex: CompiledLexicons, text: string): RawMatch[] {
  const out: RawMatch[] = [];
  if (lex.units.size === 0 && lex.currencies.size === 0) return out;
  for (const m of text.matchAll(NUMBER)) {
    const start = m.index;
    let end = start + m[0].length;
    const before = start > 0 ? text[start - 1]! : '';
    // `jwh018`, `mdmb4en`: digits glued after letters are part of a name, not a number.
    if (before && LETTER.test(before) && !HAN.test(before)) continue;
    // Currency symbol before: `$100`, `₽ 3500`.
    let sym = before;
    if (sym === ' ' && start > 1) sym = text[start - 2]!;
    if (sym && !LETTER.test(sym) && lex.currencies.has(sym)) {
      out.push({ term: -1, start: start - (before === ' ' ? 2 : 1), end, via: 'exact', label: 'price' });
      continue;
    }
    let w = wordAt(text, end);
    if (w && lex.multipliers.has(w.word)) {
      end = w.end;
      w = wordAt(text, end);
    }
    if (!w) continue;
    if (lex.currencies.has(w.word)) {
      out.push({ term: -1, start, end: w.end, via: 'exact', label: 'price' });
    } else if (lex.countUnits.has(w.word)) {
      out.push({ term: -1, start, end: w.end, via: 'exact', label: 'count' });
    } else if (lex.units.has(w.word)) {
      const n = Number.parseInt(m[0], 10);
      // `2019г` is a year, not grams.
      if ((w.word === 'г' || w.word === 'г.') && n >= 1900 && n <= 2100) continue;
      out.push({ term: -1, start, end: w.end, via: 'exact', label: 'quantity' });
    }
  }
  return out;
}
