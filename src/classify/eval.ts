import type { Classification } from './types.ts';

/**
 * Measuring the classifier on labelled rows: precision, recall, F1, PR-AUC (average precision),
 * the confusion matrix, and the terms behind the most false positives and false negatives.
 */

export interface EvalRow {
  /** Ground truth. */
  label: boolean;
  classification: Classification;
  /** Optional id, kept in the examples lists. */
  id?: string;
}

export interface EvalOptions {
  /** The decision being measured. Default: `c.lead`. */
  predict?: (c: Classification) => boolean;
  /** Ranking score for PR-AUC. Default: `c.score`. */
  score?: (c: Classification) => number;
  /** How many terms to list for false positives/negatives. Default 15. */
  topTerms?: number;
}

export interface TermCount {
  term: string;
  group: string;
  count: number;
}

export interface EvalResult {
  n: number;
  positives: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  prAuc: number;
  confusion: { tp: number; fp: number; fn: number; tn: number };
  /** Terms that pushed false positives up (most frequent first). */
  falsePositiveTerms: TermCount[];
  /** Terms present in false negatives: the negative context that held them down, and the weak evidence. */
  falseNegativeTerms: TermCount[];
  /** Ids of a few false positives and negatives, when rows have ids. */
  examples: { falsePositives: string[]; falseNegatives: string[] };
}

/** Average precision over rows ranked by score (ties broken pessimistically). */
export function prAuc(points: Array<{ label: boolean; score: number }>): number {
  const total = points.filter((p) => p.label).length;
  if (total === 0) return 0;
  const sorted = [...points].sort((a, b) => b.score - a.score || Number(a.label) - Number(b.label));
  let tp = 0;
  let ap = 0;
  sorted.forEach((p, i) => {
    if (p.label) {
      tp++;
      ap += tp / (i + 1);
    }
  });
  return ap / total;
}

function countTerms(
  rows: EvalRow[],
  pick: (r: EvalRow) => boolean,
  wantPositive: boolean,
  top: number,
): TermCount[] {
  const counts = new Map<string, TermCount>();
  for (const row of rows) {
    if (!pick(row)) continue;
    const seen = new Set<string>();
    for (const r of row.classification.reasons) {
      if (r.group === 'context') continue;
      if (wantPositive ? r.contribution <= 0 : false) continue;
      const key = `${r.group}:${r.term}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const c = counts.get(key) ?? { term: r.term, group: r.group, count: 0 };
      c.count++;
      counts.set(key, c);
    }
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.term.localeCompare(b.term)).slice(0, top);
}

/** Evaluates classifications against labels; see `EvalResult`. */
export function evaluate(rows: EvalRow[], opts: EvalOptions = {}): EvalResult {
  const predict = opts.predict ?? ((c: Classification) => c.lead);
  const scoreOf = opts.score ?? ((c: Classification) => c.score);
  const top = opts.topTerms ?? 15;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const fpIds: string[] = [];
  const fnIds: string[] = [];
  const predicted = rows.map((r) => predict(r.classification));
  rows.forEach((r, i) => {
    const p = predicted[i]!;
    if (p && r.label) tp++;
    else if (p && !r.label) {
      fp++;
      if (r.id !== undefined && fpIds.length < 20) fpIds.push(r.id);
    } else if (!p && r.label) {
      fn++;
      if (r.id !== undefined && fnIds.length < 20) fnIds.push(r.id);
    } else tn++;
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const idx = new Map(rows.map((r, i) => [r, i]));
  return {
    n: rows.length,
    positives: tp + fn,
    precision,
    recall,
    f1,
    accuracy: rows.length ? (tp + tn) / rows.length : 0,
    prAuc: prAuc(rows.map((r) => ({ label: r.label, score: scoreOf(r.classification) }))),
    confusion: { tp, fp, fn, tn },
    falsePositiveTerms: countTerms(rows, (r) => !r.label && predicted[idx.get(r)!]!, true, top),
    falseNegativeTerms: countTerms(rows, (r) => r.label && !predicted[idx.get(r)!]!, false, top),
    examples: { falsePositives: fpIds, falseNegatives: fnIds },
  };
}

/** The figures of the rows that share one value of a field (`eval --by`). */
export interface GroupResult
  extends Pick<
    EvalResult,
    'n' | 'positives' | 'precision' | 'recall' | 'f1' | 'prAuc' | 'confusion' | 'examples'
  > {
  value: string;
}

/**
 * `evaluate` for each value `keyOf` gives the rows (a language, a site, a vendor), most rows first:
 * a lexicon that is strong in one language and weak in another shows here, not in the total.
 */
export function evaluateBy<R extends EvalRow>(
  rows: readonly R[],
  keyOf: (row: R, i: number) => string,
  opts: EvalOptions = {},
): GroupResult[] {
  const groups = new Map<string, EvalRow[]>();
  rows.forEach((r, i) => {
    const k = keyOf(r, i);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  });
  return [...groups]
    .map(([value, g]) => {
      const { n, positives, precision, recall, f1, prAuc, confusion, examples } = evaluate(g, {
        ...opts,
        topTerms: 0,
      });
      return { value, n, positives, precision, recall, f1, prAuc, confusion, examples };
    })
    .sort((a, b) => b.n - a.n || a.value.localeCompare(b.value));
}
