import type { Identifier } from '../types.ts';

/**
 * An identifier proposed by one extractor. `priority` settles overlaps between extractors:
 * when two candidates cover overlapping text, the higher priority one wins (see `index.ts`).
 */
export interface Candidate extends Identifier {
  priority: number;
}

/** Overlap priorities, highest first. Keyword-anchored and checksummed forms beat bare syntax. */
export const PRIORITY = {
  pgpBlock: 100,
  crypto: 90,
  session: 85,
  keyword: 80,
  /** A Matrix ID beats the e-mail a spaced reading makes of it (`matrix @mef.kz:tchncs.de`). */
  matrix: 75,
  mail: 70,
  telegramLink: 65,
  wallet: 60,
  digits: 50,
  handle: 40,
} as const;

/**
 * A regular-expression source for one of `words` (an alternation) not preceded by a `boundary` character
 * (a class). The words come first and the lookbehind after them, which reads the same: a pattern that
 * opens with a lookbehind has it tried at every character of a page; one that opens with its words
 * lets the engine skip to where one starts (three times faster for `threema|трима|треема`).
 */
export function wordAfter(boundary: string, words: string): string {
  return `(?:${words})(?<!${boundary}(?:${words}))`;
}

/** The `width` characters before `start`, lower-cased. */
export function before(text: string, start: number, width: number): string {
  return text.slice(Math.max(0, start - width), start).toLowerCase();
}

/** The `width` characters after `end`, lower-cased. */
export function after(text: string, end: number, width: number): string {
  return text.slice(end, end + width).toLowerCase();
}

/**
 * Offset just after the last match of `re` (a global regex) in `s`, or -1. Used to find which of
 * two competing keywords (a card word, an order word) sits nearest before a number.
 */
export function lastMatchEnd(re: RegExp, s: string): number {
  re.lastIndex = 0;
  let end = -1;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    end = m.index + m[0].length;
    if (m[0].length === 0) re.lastIndex++;
  }
  return end;
}

/** A candidate with the given fields. */
export function candidate(
  type: Identifier['type'],
  value: string,
  start: number,
  end: number,
  validated: string,
  deobfuscated: boolean,
  priority: number,
): Candidate {
  return { type, value, span: [start, end], validated, deobfuscated, priority };
}
