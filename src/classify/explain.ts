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

/** A one-line summary of the decision. */
export function summary(c: Classification): string {
  const decision = c.lead ? `LEAD (${c.kind})` : 'not a lead';
  const subs = c.substances.length ? `  substances: ${c.substances.join(', ')}` : '';
  const line = `${decision}  score ${c.score.toFixed(3)}  category ${c.category ?? '-'}${subs}  lexicons ${c.lexiconVersion}`;
  const m = c.model;
  if (!m) return line;
  const lexicons = `lexicons alone ${m.lexiconScore.toFixed(3)}${m.lexiconLead ? ' (lead)' : ''}`;
  return `${line}\nmodel ${m.version}: p ${m.probability.toFixed(3)}  text model ${m.text.toFixed(3)}  ${lexicons}${m.vetoed ? '  vetoed by negative context' : ''}`;
}
