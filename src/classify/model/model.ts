import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Token } from '../tokenise.ts';
import { type Attribution, bigramBucket, Featuriser, type TextFeatures } from './features.ts';

/**
 * # The learned layer's model
 *
 * A logistic regression over hashed features (`features.ts`), and a stacker that combines its
 * probability with the lexicon layer's score:
 *
 *     p_text = σ(bias + Σ w_f · x_f)
 *     p      = σ(a · logit(p_text) + b · lexiconScore + c · [lexicon lead] + d)
 *
 * `a, b, c, d` are fitted on out-of-fold predictions (the text model never saw the rows it is
 * stacked on), so `p` is a calibrated probability; a text is a lead at `p ≥ threshold` (0.5 unless
 * trained otherwise). See `combine.ts` for how the two layers decide together.
 *
 * On disk a model is a directory: `manifest.json` (what it is, the data it was trained on, its
 * cross-validated figures, the command that rebuilds it) and `weights.bin.gz` (the non-zero
 * weights: a count, then bucket indices as uint32, then weights as float32, little-endian).
 */

export const MODEL_FORMAT = 'spiderweb-model/1';

export interface Stack {
  /** Weight of logit(p_text). */
  model: number;
  /** Weight of the lexicon score. */
  lexicon: number;
  /** Weight of the lexicon's lead decision (0/1). */
  lexiconLead: number;
  bias: number;
}

export interface BinaryMetrics {
  n: number;
  positives: number;
  precision: number;
  recall: number;
  f1: number;
  prAuc: number;
  confusion: { tp: number; fp: number; fn: number; tn: number };
}

export interface CalibrationBin {
  /** Predicted probability range `[from, to)`. */
  from: number;
  to: number;
  n: number;
  /** Mean predicted probability and observed share of positives in the bin. */
  predicted: number;
  observed: number;
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  /** Content hash of weights and parameters (12 hex). */
  version: string;
  /** The site context the model serves (`marketplace` listings or `web` pages). */
  context: 'web' | 'marketplace';
  created: string;
  bits: number;
  seed: number;
  epochs: number;
  l2: number;
  bias: number;
  stack: Stack;
  threshold: number;
  /** The lexicon layer's version when it was trained (its evidence is part of the features). */
  lexiconVersion: string;
  data: {
    /** File names (never paths of the machine it was trained on) and sha256 of their bytes. */
    inputs: Array<{ name: string; sha256: string }>;
    label: string;
    rows: number;
    positives: number;
    /** How rows were grouped into folds (a field name, or `text-prefix`). */
    groups: string;
    folds: number;
  };
  /** Out-of-fold figures: the lexicons alone, the text model alone, and the two stacked. */
  metrics: {
    lexicon: BinaryMetrics;
    model: BinaryMetrics;
    stacked: BinaryMetrics;
    calibration: CalibrationBin[];
  };
  /** The command that rebuilt it. */
  command: string;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
export const logit = (p: number) => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};

export function stacked(s: Stack, pText: number, lexiconScore: number, lexiconLead: boolean): number {
  return sigmoid(
    s.model * logit(pText) + s.lexicon * lexiconScore + s.lexiconLead * (lexiconLead ? 1 : 0) + s.bias,
  );
}

/** Keeps the `size` largest |z| seen; labels are built only for what enters. */
class TopK {
  readonly items: Array<{ z: number; label: () => string; tokens?: [number, number] }> = [];
  constructor(readonly size: number) {}
  offer(z: number, label: () => string, tokens?: [number, number]): void {
    const a = Math.abs(z);
    if (a < 1e-6) return;
    const items = this.items;
    if (items.length === this.size && a <= Math.abs(items[items.length - 1]!.z)) return;
    const item = tokens ? { z, label, tokens } : { z, label };
    let i = items.length;
    while (i > 0 && Math.abs(items[i - 1]!.z) < a) i--;
    items.splice(i, 0, item);
    if (items.length > this.size) items.pop();
  }
}

/** A token as the model scores it: the sum of its features' weights, memoised. */
interface ScoredToken {
  key: string;
  kh: number;
  /** Σ weights of its features, and how many. */
  z: number;
  n: number;
  /** The last text (`TextModel.gen`) that counted it: a token counts once per text. */
  gen: number;
}

const SCORED_LIMIT = 200_000;

export class TextModel {
  readonly featuriser: Featuriser;
  /** By token text, and by folded key (spellings of one key share the object). */
  private readonly scored = new Map<string, ScoredToken>();
  private readonly byKey = new Map<string, ScoredToken>();
  private gen = 0;

  constructor(
    readonly manifest: ModelManifest,
    readonly weights: Float32Array,
  ) {
    this.featuriser = new Featuriser(manifest.bits);
  }

  /** p_text for features made by this model's featuriser (training's path). */
  probability(f: TextFeatures): number {
    let z = 0;
    const w = this.weights;
    for (let i = 0; i < f.ids.length; i++) z += w[f.ids[i]!]!;
    return sigmoid(this.manifest.bias + z * f.value);
  }

  private token(text: string): ScoredToken {
    let s = this.scored.get(text);
    if (s === undefined) {
      const t = this.featuriser.analyse(text);
      s = this.byKey.get(t.key);
      if (s === undefined) {
        let z = 0;
        for (let i = 0; i < t.ids.length; i++) z += this.weights[t.ids[i]!]!;
        s = { key: t.key, kh: t.kh, z, n: t.ids.length, gen: 0 };
        this.byKey.set(t.key, s);
      }
      if (this.scored.size >= SCORED_LIMIT) {
        this.scored.clear();
        this.byKey.clear();
      }
      this.scored.set(text, s);
    }
    return s;
  }

  /**
   * p_text of a text: the same sum as `probability(featuriser.features(...))`, from each distinct
   * token's memoised weight sum. With `explain`, the `LEARNED` features that moved it most go there
   * (their weight is their share of the logit).
   */
  score(
    tokens: readonly Token[],
    lexicon: readonly string[],
    explain?: { top: number; out: Attribution[] },
  ): number {
    const w = this.weights;
    const mask = this.featuriser.mask;
    const top = explain ? new TopK(explain.top) : null;
    const gen = ++this.gen;
    let z = 0;
    let n = 0;
    let prev: ScoredToken | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      const t = this.token(tok.text);
      // Spellings that fold to one key share one ScoredToken: it counts once per text.
      if (t.gen !== gen) {
        t.gen = gen;
        z += t.z;
        n += t.n;
        top?.offer(t.z, () => t.key, [i, i + 1]);
      }
      if (prev !== null && !tok.breakBefore) {
        const id = bigramBucket(prev.kh, t.kh) & mask;
        z += w[id]!;
        n++;
        if (top) {
          const a = prev;
          top.offer(w[id]!, () => `${a.key} ${t.key}`, [i - 1, i + 1]);
        }
      }
      prev = t;
    }
    const lex = new Map<number, string>();
    for (const f of lexicon) {
      const id = this.featuriser.bucket(f);
      if (!lex.has(id)) lex.set(id, f);
    }
    for (const [id, f] of lex) {
      z += w[id]!;
      n++;
      top?.offer(w[id]!, () => f);
    }
    const value = n ? 1 / Math.sqrt(n) : 0;
    if (top && explain) {
      for (const k of top.items) {
        const a: Attribution = { label: k.label(), weight: k.z * value };
        if (k.tokens) a.tokens = k.tokens;
        explain.out.push(a);
      }
    }
    return sigmoid(this.manifest.bias + z * value);
  }
}

/** Serialises the non-zero weights (see the format above). */
export function encodeWeights(weights: Float32Array): Buffer {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) n++;
  const buf = Buffer.alloc(4 + 8 * n);
  buf.writeUInt32LE(n, 0);
  let k = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    buf.writeUInt32LE(i, 4 + 4 * k);
    buf.writeFloatLE(weights[i]!, 4 + 4 * n + 4 * k);
    k++;
  }
  return gzipSync(buf, { level: 9 });
}

/** Reads `encodeWeights` output into a dense array of `2^bits`; throws on a malformed file. */
export function decodeWeights(gz: Buffer, bits: number): Float32Array {
  const buf = gunzipSync(gz);
  if (buf.length < 4) throw new Error('weights file is truncated');
  const n = buf.readUInt32LE(0);
  if (buf.length !== 4 + 8 * n)
    throw new Error(`weights file holds ${buf.length} bytes, expected ${4 + 8 * n}`);
  const w = new Float32Array(1 << bits);
  for (let k = 0; k < n; k++) {
    const i = buf.readUInt32LE(4 + 4 * k);
    if (i >= w.length) throw new Error(`weight index ${i} is outside 2^${bits} buckets`);
    w[i] = buf.readFloatLE(4 + 4 * n + 4 * k);
  }
  return w;
}

/** The version of a model: a hash of its weights and the numbers that use them. */
export function modelVersion(
  weights: Buffer,
  m: Pick<ModelManifest, 'bits' | 'bias' | 'stack' | 'threshold'>,
): string {
  return createHash('sha256')
    .update(weights)
    .update(JSON.stringify([m.bits, m.bias, m.stack, m.threshold]))
    .digest('hex')
    .slice(0, 12);
}

const metricsSchema = z.object({
  n: z.number(),
  positives: z.number(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  prAuc: z.number(),
  confusion: z.object({ tp: z.number(), fp: z.number(), fn: z.number(), tn: z.number() }),
});

/** What `manifest.json` must hold; the loader names the first field that does not fit. */
export const manifestSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.string().regex(/^[0-9a-f]{12}$/),
  context: z.enum(['web', 'marketplace']),
  created: z.string(),
  bits: z.number().int().min(10).max(24),
  seed: z.number().int(),
  epochs: z.number().int().positive(),
  l2: z.number().nonnegative(),
  bias: z.number(),
  stack: z.object({ model: z.number(), lexicon: z.number(), lexiconLead: z.number(), bias: z.number() }),
  threshold: z.number().gt(0).lt(1),
  lexiconVersion: z.string(),
  data: z.object({
    inputs: z.array(z.object({ name: z.string(), sha256: z.string() })),
    label: z.string(),
    rows: z.number().int(),
    positives: z.number().int(),
    groups: z.string(),
    folds: z.number().int(),
  }),
  metrics: z.object({
    lexicon: metricsSchema,
    model: metricsSchema,
    stacked: metricsSchema,
    calibration: z.array(
      z.object({
        from: z.number(),
        to: z.number(),
        n: z.number(),
        predicted: z.number(),
        observed: z.number(),
      }),
    ),
  }),
  command: z.string(),
});
