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

/** One line per reason, strongest contribution first. */
export function formatReasons(c: Classification): string[] {
  return [...c.reasons]
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.span[0] - b.span[0])
    .map((r) => {
      const where =
        r.group === 'context' ? '' : ` "${r.form}" at ${r.span[0]}-${r.span[1]}${r.in ? ' (title)' : ''}`;
      const meta = [r.class, r.lang, r.via].filter(Boolean).join(', ');
      const contrib = r.contribution >= 0 ? `+${r.contribution.toFixed(3)}` : r.contribution.toFixed(3);
      return `${r.group.padEnd(11)} ${r.term}${where}  weight ${r.weight.toFixed(2)}  contribution ${contrib}${meta ? `  (${meta})` : ''}`;
    });
}

/** A one-line summary of the decision. */
export function summary(c: Classification): string {
  const decision = c.lead ? `LEAD (${c.kind})` : 'not a lead';
  const subs = c.substances.length ? `  substances: ${c.substances.join(', ')}` : '';
  return `${decision}  score ${c.score.toFixed(3)}  category ${c.category ?? '-'}${subs}  lexicons ${c.lexiconVersion}`;
}
