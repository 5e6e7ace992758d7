import { lexiconLayer } from '../classify.ts';
import { prAuc } from '../eval.ts';
import type { CompiledLexicons, LexiconLayer, SiteContext } from '../types.ts';
import { allTokens, decide, lexiconFeatures } from './combine.ts';
import { Featuriser, hashString, type TextFeatures } from './features.ts';
import { type BinaryMetrics, type CalibrationBin, logit, type Stack, stacked } from './model.ts';

/**
 * # Training
 *
 * Rows are split into `folds` by group (a vendor, a site, a mirror set: no group in two folds).
 * For each fold a text model is trained on the others and predicts it, so every row gets an
 * out-of-fold `p_text`. The stacker is fitted on those, and whether negative context vetoes
 * (`Stack.veto`) is chosen by F1 on them; the figures reported are out-of-fold all the way (the
 * stacker and the veto used for a fold come from the other folds). The model
 * shipped is then trained on every row, stacked with a stacker fitted on every out-of-fold
 * prediction. Training is deterministic for a seed: the fold assignment and the order of
 * examples come from it.
 *
 * The text model is logistic regression fitted by AdaGrad (per-feature step sizes suit sparse text
 * features), with L2 on the weights a step touches.
 */

export interface TrainRow {
  text: string;
  title?: string;
  label: boolean;
  /** Rows of one group are kept in one fold. */
  group: string;
  /** The file it was read from: with more than one, figures are also given per file. */
  input?: string;
}

export interface TrainOptions {
  context: SiteContext;
  bits?: number;
  epochs?: number;
  l2?: number;
  rate?: number;
  seed?: number;
  folds?: number;
  /**
   * Decision threshold on the stacked probability (0.5: the calibrated decision; a threshold chosen for
   * the best F1 on the other folds did worse out-of-fold on a tuning half of the Agora vendors).
   */
  threshold?: number;
  /**
   * The longest text the model will judge (the manifest's `maxChars`): the stacker is fitted on
   * texts up to it, and longer ones are decided by the lexicons out-of-fold as they will be in use.
   * The text model still learns from every row.
   */
  maxChars?: number;
}

export const TRAIN_DEFAULTS = {
  bits: 20,
  epochs: 8,
  l2: 1e-4,
  rate: 0.3,
  seed: 1,
  folds: 5,
  threshold: 0.5,
  maxChars: Number.POSITIVE_INFINITY,
} as const;

export interface OutOfFold {
  label: boolean;
  group: string;
  fold: number;
  lexiconScore: number;
  lexiconLead: boolean;
  text: number;
  stacked: number;
  lead: boolean;
  /** Whether the model judged it (no longer than `maxChars`); if not, the lexicons decided. */
  judged: boolean;
}

export interface TrainResult {
  weights: Float32Array;
  bias: number;
  stack: Stack;
  threshold: number;
  oof: OutOfFold[];
  metrics: {
    lexicon: BinaryMetrics;
    model: BinaryMetrics;
    stacked: BinaryMetrics;
    calibration: CalibrationBin[];
    /** Out-of-fold figures of each input file, when rows came from more than one. */
    inputs?: InputMetrics[];
  };
}

export interface InputMetrics {
  name: string;
  lexicon: BinaryMetrics;
  stacked: BinaryMetrics;
}

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Assigns groups to folds: largest groups first (ties by a seeded hash), each to the fold with the
 * fewest rows so far. Returns the fold of each row.
 */
export function assignFolds(groups: readonly string[], folds: number, seed: number): number[] {
  const sizes = new Map<string, number>();
  for (const g of groups) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  const order = [...sizes.keys()].sort(
    (a, b) =>
      sizes.get(b)! - sizes.get(a)! ||
      hashString(`${seed}:${a}`) - hashString(`${seed}:${b}`) ||
      (a < b ? -1 : 1),
  );
  const load = new Array<number>(folds).fill(0);
  const foldOf = new Map<string, number>();
  for (const g of order) {
    let best = 0;
    for (let k = 1; k < folds; k++) if (load[k]! < load[best]!) best = k;
    foldOf.set(g, best);
    load[best]! += sizes.get(g)!;
  }
  return groups.map((g) => foldOf.get(g)!);
}

interface Example {
  f: TextFeatures;
  y: number;
}

function fitLogistic(
  examples: readonly Example[],
  size: number,
  o: { epochs: number; l2: number; rate: number; seed: number },
): { weights: Float32Array; bias: number } {
  const w = new Float32Array(size);
  const g2 = new Float32Array(size);
  let bias = 0;
  let gb = 0;
  const next = rng(o.seed);
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) {
      const { f, y } = examples[i]!;
      let z = bias;
      for (let k = 0; k < f.ids.length; k++) z += w[f.ids[k]!]! * f.value;
      const p = 1 / (1 + Math.exp(-z));
      const err = p - y;
      for (let k = 0; k < f.ids.length; k++) {
        const id = f.ids[k]!;
        const g = err * f.value + o.l2 * w[id]!;
        g2[id]! += g * g;
        w[id]! -= (o.rate * g) / Math.sqrt(g2[id]! + 1e-8);
      }
      gb += err * err;
      bias -= (o.rate * err) / Math.sqrt(gb + 1e-8);
    }
  }
  return { weights: w, bias };
}

function predict(m: { weights: Float32Array; bias: number }, f: TextFeatures): number {
  let z = m.bias;
  for (let k = 0; k < f.ids.length; k++) z += m.weights[f.ids[k]!]! * f.value;
  return 1 / (1 + Math.exp(-z));
}

export interface StackPoint {
  pText: number;
  lexScore: number;
  lexLead: boolean;
  y: number;
}

/** Logistic regression on [logit(p_text), lexicon score, lexicon lead, 1] by Newton's method. */
export function fitStack(points: readonly StackPoint[]): Stack {
  const dim = 4;
  const beta = [1, 0, 0, 0];
  const ridge = 1e-3;
  const x = points.map((p) => [logit(p.pText), p.lexScore, p.lexLead ? 1 : 0, 1]);
  const loss = (b: readonly number[]) => {
    let l = 0;
    points.forEach((p, n) => {
      let z = 0;
      for (let a = 0; a < dim; a++) z += b[a]! * x[n]![a]!;
      // log(1 + e^z) − y·z, computed stably
      l += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - p.y * z;
    });
    for (let a = 0; a < dim - 1; a++) l += (ridge / 2) * b[a]! ** 2;
    return l;
  };
  for (let iter = 0; iter < 30; iter++) {
    const grad = new Array<number>(dim).fill(0);
    const hess = Array.from({ length: dim }, () => new Array<number>(dim).fill(0));
    points.forEach((p, n) => {
      const xi = x[n]!;
      let z = 0;
      for (let a = 0; a < dim; a++) z += beta[a]! * xi[a]!;
      const q = 1 / (1 + Math.exp(-z));
      const r = q * (1 - q);
      for (let a = 0; a < dim; a++) {
        grad[a]! += (q - p.y) * xi[a]!;
        for (let b = 0; b < dim; b++) hess[a]![b]! += r * xi[a]! * xi[b]!;
      }
    });
    for (let a = 0; a < dim - 1; a++) {
      grad[a]! += ridge * beta[a]!;
      hess[a]![a]! += ridge;
    }
    const step = solve(hess, grad);
    // Backtracking: a full Newton step can overshoot when the classes are nearly separable.
    const before = loss(beta);
    let t = 1;
    let next = beta.map((b, a) => b - t * step[a]!);
    while (loss(next) > before + 1e-12 && t > 1e-4) {
      t /= 2;
      next = beta.map((b, a) => b - t * step[a]!);
    }
    let moved = 0;
    for (let a = 0; a < dim; a++) {
      moved = Math.max(moved, Math.abs(next[a]! - beta[a]!));
      beta[a] = next[a]!;
    }
    if (moved < 1e-8) break;
  }
  return { model: beta[0]!, lexicon: beta[1]!, lexiconLead: beta[2]!, bias: beta[3]! };
}

/**
 * Whether training may hand the lexicons' recruitment decision to the model. Not on a marketplace:
 * listings are labelled by what they sell (a drug or not), and a courier job ad on a drug market is
 * a lead whatever such a label says.
 */
export function choosesRecruitment(context: SiteContext): boolean {
  return context !== 'marketplace';
}

/**
 * The stacker fitted on the points `use` picks, with the vetoes (`Stack.innocent`, `Stack.veto`)
 * and the lexicons' recruitment decision (`Stack.recruitment`, where `choosesRecruitment`) that give
 * the best F1 on them; a tie keeps the lexicons' say.
 */
export function fitStacker(
  points: readonly StackPoint[],
  layers: readonly LexiconLayer[],
  threshold: number,
  use: (i: number) => boolean,
  context: SiteContext,
): Stack & { veto: boolean; recruitment: boolean; innocent: boolean } {
  const chooseRecruitment = choosesRecruitment(context);
  const picked = points.map((_, i) => i).filter(use);
  const s = fitStack(picked.map((i) => points[i]!));
  const f1 = (veto: boolean, recruitment: boolean, innocent: boolean) => {
    let tp = 0;
    let wrong = 0;
    for (const i of picked) {
      const q = points[i]!;
      const p = stacked(s, q.pText, q.lexScore, q.lexLead);
      const lead = decide(layers[i]!, p, threshold, { veto, recruitment, innocent }).lead;
      if (lead && q.y) tp++;
      else if (lead || q.y) wrong++;
    }
    return tp ? (2 * tp) / (2 * tp + wrong) : 0;
  };
  let best = { veto: true, recruitment: true, innocent: true, f1: f1(true, true, true) };
  for (const innocent of [true, false])
    for (const veto of [true, false])
      for (const recruitment of [true, false]) {
        if (!recruitment && !chooseRecruitment) continue;
        const f = f1(veto, recruitment, innocent);
        if (f > best.f1) best = { veto, recruitment, innocent, f1: f };
      }
  return { ...s, veto: best.veto, recruitment: best.recruitment, innocent: best.innocent };
}

/** Gaussian elimination with partial pivoting (a 4×4 system). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const d = m[c]![c]! || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / d;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / (row[i]! || 1e-12));
}

export function binaryMetrics(
  points: ReadonlyArray<{ label: boolean; predicted: boolean; score: number }>,
): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const p of points) {
    if (p.predicted && p.label) tp++;
    else if (p.predicted) fp++;
    else if (p.label) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    n: points.length,
    positives: tp + fn,
    precision: round(precision),
    recall: round(recall),
    f1: round(precision + recall ? (2 * precision * recall) / (precision + recall) : 0),
    prAuc: round(prAuc(points.map((p) => ({ label: p.label, score: p.score })))),
    confusion: { tp, fp, fn, tn },
  };
}

export function calibration(points: ReadonlyArray<{ p: number; y: number }>, bins = 10): CalibrationBin[] {
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const from = b / bins;
    const to = (b + 1) / bins;
    const inBin = points.filter((q) => q.p >= from && (q.p < to || (b === bins - 1 && q.p <= 1)));
    if (!inBin.length) continue;
    out.push({
      from,
      to,
      n: inBin.length,
      predicted: round(inBin.reduce((s, q) => s + q.p, 0) / inBin.length),
      observed: round(inBin.reduce((s, q) => s + q.y, 0) / inBin.length),
    });
  }
  return out;
}

/** Trains the learned layer on labelled rows; see above. */
export function train(rows: readonly TrainRow[], lex: CompiledLexicons, options: TrainOptions): TrainResult {
  const o: Required<TrainOptions> = { ...TRAIN_DEFAULTS, ...options };
  if (rows.length < o.folds * 2) throw new Error(`${rows.length} rows are too few for ${o.folds} folds`);
  const groups = new Set(rows.map((r) => r.group));
  if (groups.size < o.folds) throw new Error(`${groups.size} groups are too few for ${o.folds} folds`);
  const featuriser = new Featuriser(o.bits);
  const layers = rows.map((r) =>
    lexiconLayer(r.text, lex, r.title ? { context: o.context, title: r.title } : { context: o.context }),
  );
  const examples: Example[] = rows.map((r, i) => {
    const layer = layers[i]!;
    const f = featuriser.features(allTokens(layer), lexiconFeatures(layer.classification));
    return { f, y: r.label ? 1 : 0 };
  });
  const fold = assignFolds(
    rows.map((r) => r.group),
    o.folds,
    o.seed,
  );
  const size = 1 << o.bits;
  const fit = { epochs: o.epochs, l2: o.l2, rate: o.rate, seed: o.seed };
  const pText = new Array<number>(rows.length).fill(0);
  for (let k = 0; k < o.folds; k++) {
    const m = fitLogistic(
      examples.filter((_, i) => fold[i] !== k),
      size,
      fit,
    );
    examples.forEach((e, i) => {
      if (fold[i] === k) pText[i] = predict(m, e.f);
    });
  }
  const points: StackPoint[] = rows.map((r, i) => ({
    pText: pText[i]!,
    lexScore: layers[i]!.classification.score,
    lexLead: layers[i]!.classification.lead,
    y: r.label ? 1 : 0,
  }));
  const judged = (i: number) => rows[i]!.text.length <= o.maxChars;
  // Out-of-fold stacking: fold k is stacked by what the other folds fitted.
  const oof: OutOfFold[] = new Array(rows.length);
  for (let k = 0; k < o.folds; k++) {
    const s = fitStacker(points, layers, o.threshold, (i) => fold[i] !== k && judged(i), o.context);
    rows.forEach((r, i) => {
      if (fold[i] !== k) return;
      const q = points[i]!;
      const p = stacked(s, q.pText, q.lexScore, q.lexLead);
      const byModel = judged(i);
      oof[i] = {
        label: r.label,
        group: r.group,
        fold: k,
        lexiconScore: q.lexScore,
        lexiconLead: q.lexLead,
        text: round(q.pText),
        stacked: round(byModel ? p : q.lexScore),
        lead: byModel ? decide(layers[i]!, p, o.threshold, s).lead : q.lexLead,
        judged: byModel,
      };
    });
  }
  const full = fitLogistic(examples, size, fit);
  const stack = fitStacker(points, layers, o.threshold, judged, o.context);
  return {
    weights: full.weights,
    bias: full.bias,
    stack,
    threshold: o.threshold,
    oof,
    metrics: {
      lexicon: binaryMetrics(
        oof.map((q) => ({ label: q.label, predicted: q.lexiconLead, score: q.lexiconScore })),
      ),
      model: binaryMetrics(oof.map((q) => ({ label: q.label, predicted: q.text >= 0.5, score: q.text }))),
      stacked: binaryMetrics(oof.map((q) => ({ label: q.label, predicted: q.lead, score: q.stacked }))),
      calibration: calibration(
        oof.filter((q) => q.judged).map((q) => ({ p: q.stacked, y: q.label ? 1 : 0 })),
      ),
      ...byInput(rows, oof),
    },
  };
}

function byInput(rows: readonly TrainRow[], oof: readonly OutOfFold[]): { inputs?: InputMetrics[] } {
  const groups = oofBy(oof, (i) => rows[i]!.input ?? '');
  if (groups.length < 2) return {};
  return { inputs: groups.map(({ key, lexicon, stacked }) => ({ name: key, lexicon, stacked })) };
}

/**
 * Out-of-fold figures of the rows that share a key (their input file, a language), keys in the order
 * first seen: the lexicons alone and the stacked layers.
 */
export function oofBy(
  oof: readonly OutOfFold[],
  keyOf: (i: number) => string,
): Array<{ key: string; lexicon: BinaryMetrics; stacked: BinaryMetrics }> {
  const byKey = new Map<string, OutOfFold[]>();
  oof.forEach((q, i) => {
    const k = keyOf(i);
    const qs = byKey.get(k);
    if (qs) qs.push(q);
    else byKey.set(k, [q]);
  });
  return [...byKey].map(([key, qs]) => ({
    key,
    lexicon: binaryMetrics(
      qs.map((q) => ({ label: q.label, predicted: q.lexiconLead, score: q.lexiconScore })),
    ),
    stacked: binaryMetrics(qs.map((q) => ({ label: q.label, predicted: q.lead, score: q.stacked }))),
  }));
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
