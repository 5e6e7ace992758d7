import type { Classification, Reason } from './types.ts';

/**
 * Rendering a classification for people: the text with matched terms marked, and one line per
 * reason. `mark` wraps each highlighted span: ANSI colours on a terminal, `[brackets]` otherwise.
 */

export type Marker = (text: string, reason: Reason) => string;

const ANSI: Record<string, string> = {
  substance: '\u001b[1;31m',
  intent: '\u001b[1;33m',
  contact: '\u001b[1;36m',
  payment: '\u001b[1;35m',
  recruitment: '\u001b[1;34m',
  negative: '\u001b[1;32m',
};

export const ansiMarker: Marker = (text, r) => `${ANSI[r.group] ?? '\u001b[1m'}${text}\u001b[0m`;
export const bracketMarker: Marker = (text, r) => `[${text}]{${r.group}:${r.term}}`;

/**
 * The text with every non-overlapping matched span wrapped by `mark`. `source` picks the reasons
 * found in the text (default) or in the title.
 */
export function highlight(
  text: string,
  reasons: readonly Reason[],
  mark: Marker,
  source: 'text' | 'title' = 'text',
): string {
  const spans = reasons
    .filter((r) => (source === 'title' ? r.in === 'title' : r.in === undefined) && r.span[1] > r.span[0])
    .sort((a, b) => a.span[0] - b.span[0] || b.span[1] - a.span[1]);
  let out = '';
  let pos = 0;
  for (const r of spans) {
    if (r.span[0] < pos) continue;
    out += text.slice(pos, r.span[0]) + mark(text.slice(r.span[0], r.span[1]), r);
    pos = r.span[1];
  }
  return out + text.slice(pos);
}

/**
 * One line per reason, strongest contribution first; the learned layer's features after the
 * lexicon's, with their share of the model's logit (not of the score).
 */
export function formatReasons(c: Classification): string[] {
  const order = (a: Reason, b: Reason) =>
    Math.abs(b.contribution) - Math.abs(a.contribution) || a.span[0] - b.span[0];
  const where = (r: Reason) =>
    r.group === 'context' || (r.group === 'learned' && r.span[1] === r.span[0])
      ? ''
      : ` "${r.form}" at ${r.span[0]}-${r.span[1]}${r.in ? ' (title)' : ''}`;
  const sign = (x: number) => (x >= 0 ? `+${x.toFixed(3)}` : x.toFixed(3));
  const lexical = c.reasons
    .filter((r) => r.group !== 'learned')
    .sort(order)
    .map((r) => {
      const meta = [r.class, r.lang, r.via].filter(Boolean).join(', ');
      return `${r.group.padEnd(11)} ${r.term}${where(r)}  weight ${r.weight.toFixed(2)}  contribution ${sign(r.contribution)}${meta ? `  (${meta})` : ''}`;
    });
  const learned = c.reasons
    .filter((r) => r.group === 'learned')
    .sort(order)
    .map((r) => `${'learned'.padEnd(11)} ${r.term}${where(r)}  logit ${sign(r.weight)}  (${r.class})`);
  return [...lexical, ...learned];
}

/**
 * A score to `digits` places: a lead's rounded, as every list shows it; a text that is no lead has
 * its score cut rather than rounded, so one vetoed or just under the line (0.4999) never reads as
 * the threshold (0.50) beside "not a lead".
 */
export function scoreText(score: number, lead: boolean, digits = 2): string {
  if (lead) return score.toFixed(digits);
  const f = 10 ** digits;
  return (Math.floor(score * f + 1e-9) / f).toFixed(digits);
}

/** A one-line summary of the decision. */
export function summary(c: Classification): string {
  const decision = c.lead ? `LEAD (${c.kind})` : 'not a lead';
  const subs = c.substances.length ? `  substances: ${c.substances.join(', ')}` : '';
  const line = `${decision}  score ${scoreText(c.score, c.lead, 3)}  category ${c.category ?? '-'}${subs}  lexicons ${c.lexiconVersion}`;
  const m = c.model;
  if (!m) return line;
  const lexicons = `lexicons alone ${m.lexiconScore.toFixed(3)}${m.lexiconLead ? ' (lead)' : ''}`;
  return `${line}\nmodel ${m.version}: p ${m.probability.toFixed(3)}  text model ${m.text.toFixed(3)}  ${lexicons}${m.vetoedBy ? `  vetoed by ${m.vetoedBy}` : ''}`;
}

/** How a lead stores a term seen many times: once, with the count and the first few other spans. */
export interface CompactReason extends Reason {
  /** Occurrences of the term (in this group, in the text or the title): 1 when absent. */
  count?: number;
  /** Spans of further occurrences, `[start, end, form]` (form left out when it is the same). */
  more?: Array<[number, number] | [number, number, string]>;
}

/** Spans a stored reason keeps per term (the first one and this many more). */
export const MORE_SPANS = 4;

/**
 * One entry per term (per group, and per title or text), in order of first occurrence: the occurrence
 * that carried the term's contribution, its count, and the spans of up to `MORE_SPANS` others. A page
 * that says "мефедрон" forty times stores it once, not forty times.
 */
export function compactReasons(reasons: readonly Reason[]): CompactReason[] {
  const byKey = new Map<string, { base: Reason; all: Reason[] }>();
  for (const r of reasons) {
    const key = `${r.group}\0${r.term}\0${r.in ?? ''}`;
    const e = byKey.get(key);
    if (!e) byKey.set(key, { base: r, all: [r] });
    else {
      e.all.push(r);
      if (Math.abs(r.contribution) > Math.abs(e.base.contribution)) e.base = r;
    }
  }
  return [...byKey.values()].map(({ base, all }) => {
    if (all.length === 1) return base;
    const more: NonNullable<CompactReason['more']> = [];
    for (const r of all) {
      if (r === base) continue;
      if (more.length >= MORE_SPANS) break;
      more.push(r.form === base.form ? [r.span[0], r.span[1]] : [r.span[0], r.span[1], r.form]);
    }
    return { ...base, count: all.length, more };
  });
}

/**
 * Back to one reason per kept span (for highlighting), each with its `count`: the first carries the
 * occurrences that were not kept, so counts still add up. Reasons stored before compaction pass through.
 */
export function expandReasons(stored: readonly CompactReason[]): CompactReason[] {
  const out: CompactReason[] = [];
  for (const r of stored) {
    if (!r.more?.length) {
      out.push(r);
      continue;
    }
    const { more, count, ...base } = r;
    out.push({ ...base, count: (count ?? more.length + 1) - more.length });
    for (const [s, e, form] of more)
      out.push({ ...base, span: [s, e], form: form ?? base.form, contribution: 0, count: 1 });
  }
  return out;
}
