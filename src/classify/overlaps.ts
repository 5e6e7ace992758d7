/**
 * Which matches count: overlaps between matches (negative shields, longer phrases) and innocent
 * senses that explain weak slang away.
 */

import type { RawMatch } from './match.ts';
import type { CompiledLexicons, Reason, Via } from './types.ts';

/** How much of a term's weight a match of each kind carries. */
export const VIA_FACTOR: Readonly<Record<Via, number>> = {
  exact: 1,
  stem: 1,
  suffix: 1,
  homoglyph: 1,
  leet: 1,
  spaced: 1,
  split: 1,
  phrase: 1,
  translit: 0.9,
  fuzzy: 0.8,
};

/** Group codes, so the overlap pass compares numbers. */
const NEGATIVE = 6;
const GROUP_CODE: Readonly<Record<string, number>> = {
  substance: 1,
  intent: 2,
  contact: 3,
  payment: 4,
  recruitment: 5,
  negative: NEGATIVE,
};

export function groupOf(lex: CompiledLexicons, m: RawMatch): Reason['group'] {
  if (m.term < 0) return m.label === 'handle' ? 'contact' : 'intent';
  return lex.terms[m.term]!.group;
}

export function byPosition(a: RawMatch, b: RawMatch): number {
  return Number(b.inTitle) - Number(a.inTitle) || a.start - b.start || b.end - a.end;
}

/**
 * Marks matches that lose an overlap: a positive match covered by a negative match at least as
 * long (`bath salt` shields `salt`), and a match inside a longer match of the same group
 * (`crystal meth` over `meth`). `sorted` is ordered by `byPosition`.
 */
export function resolveOverlaps(lex: CompiledLexicons, sorted: readonly RawMatch[]): void {
  const n = sorted.length;
  const codes = new Uint8Array(n);
  for (let i = 0; i < n; i++) codes[i] = GROUP_CODE[groupOf(lex, sorted[i]!)] ?? 0;
  for (let i = 0; i < n; i++) {
    const a = sorted[i]!;
    const ga = codes[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = sorted[j]!;
      if (b.start >= a.end || b.inTitle !== a.inTitle) break;
      const gb = codes[j]!;
      const la = a.end - a.start;
      const lb = b.end - b.start;
      if (ga === NEGATIVE && gb !== NEGATIVE) {
        if (la >= lb) b.dropped = true;
        else if (b.start <= a.start && b.end >= a.end) a.dropped = true;
      } else if (gb === NEGATIVE && ga !== NEGATIVE) {
        if (lb >= la) a.dropped = true;
        else if (a.start <= b.start && a.end >= b.end) b.dropped = true;
      } else if (ga === gb && la !== lb) {
        if (la > lb && b.end <= a.end) b.dropped = true;
        else if (lb > la && a.start >= b.start && a.end <= b.end) a.dropped = true;
      }
    }
  }
}

/**
 * Innocent senses explain weak slang away: when a kept negative term lists substances in
 * `explains`, weak matches of those substances (weight ≤ `scoring.explainMaxWeight`) are dropped
 * everywhere in the text and title.
 */
export function explainAway(lex: CompiledLexicons, matches: readonly RawMatch[]): void {
  let explained: Set<string> | undefined;
  for (const m of matches) {
    if (m.dropped || m.term < 0) continue;
    const t = lex.terms[m.term]!;
    if (t.group !== 'negative' || t.explains.length === 0) continue;
    explained ??= new Set();
    for (const name of t.explains) explained.add(name);
  }
  if (!explained) return;
  const max = lex.scoring.explainMaxWeight;
  for (const m of matches) {
    if (m.dropped || m.term < 0) continue;
    const t = lex.terms[m.term]!;
    if (t.group === 'substance' && t.weight * VIA_FACTOR[m.via] <= max && explained.has(t.term.toLowerCase()))
      m.dropped = true;
  }
}
