import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { Featuriser, type FeatureSource, type TextFeatures } from './features.ts';

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
 * stacked on), so `p` is a calibrated probability; a text is a lead at `p ≥ threshold`, the
 * threshold with the best out-of-fold F1. See `combine.ts` for how the two layers decide together.
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

export interface Contribution {
  /** Folded token, bigram (`buy mefedron`) or lexicon feature (`L:substance:mephedrone`). */
  label: string;
  tokens?: [number, number];
  /** Its share of the text model's logit. */
  weight: number;
}

export class TextModel {
  readonly featuriser: Featuriser;

  constructor(
    readonly manifest: ModelManifest,
    readonly weights: Float32Array,
  ) {
    this.featuriser = new Featuriser(manifest.bits);
  }

  /** p_text for features made by this model's featuriser. */
  probability(f: TextFeatures): number {
    let z = 0;
    const w = this.weights;
    for (let i = 0; i < f.ids.length; i++) z += w[f.ids[i]!]!;
    return sigmoid(this.manifest.bias + z * f.value);
  }

  /** The features that moved the logit most, strongest first (both signs), `top` of them. */
  contributions(sources: readonly FeatureSource[], value: number, top: number): Contribution[] {
    const all: Contribution[] = [];
    for (const s of sources) {
      let z = 0;
      for (const id of s.ids) z += this.weights[id]!;
      const weight = z * value;
      if (Math.abs(weight) < 1e-3) continue;
      const c: Contribution = { label: s.label, weight };
      if (s.tokens) c.tokens = s.tokens;
      all.push(c);
    }
    return all.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, top);
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
