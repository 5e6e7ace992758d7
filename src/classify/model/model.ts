import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { Memo } from '../memo.ts';
import { hasIdRun, numberShape, type Token, unpinned } from '../tokenise.ts';
import {
  type Attribution,
  bigramBucket,
  Featuriser,
  foldKey,
  pairHash,
  type TextFeatures,
} from './features.ts';

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
  /**
   * Whether negative context vetoes the stacked decision (`combine.ts`, step 3). Training chooses it
   * on out-of-fold predictions; a manifest without it (trained before the choice existed) vetoes.
   */
  veto?: boolean | undefined;
  /**
   * Whether the lexicons' recruitment decision is a lead whatever the model says (`combine.ts`,
   * step 3). Training chooses it as it chooses `veto`; a manifest without it keeps the lexicons'.
   */
  recruitment?: boolean | undefined;
  /**
   * Whether an innocent sense with no substance named vetoes the stacked decision (`combine.ts`,
   * step 3). Training chooses it as it chooses `veto`; a manifest without it vetoes.
   */
  innocent?: boolean | undefined;
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
  /**
   * The longest text the model judges (`train --max-chars`); longer texts are judged by the
   * lexicons alone. A model trained on posts has never seen a whole page.
   */
  maxChars?: number;
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
    /** Per input file, when it was trained on more than one. */
    inputs?: Array<{ name: string; lexicon: BinaryMetrics; stacked: BinaryMetrics }>;
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

/**
 * A set of buckets for one text at a time, in insertion order (`ids`): open addressing whose slots
 * are stamped with the text's generation, so `clear` is O(1) and adding allocates nothing once grown.
 */
class BucketSet {
  ids = new Int32Array(64);
  size = 0;
  private slots = new Int32Array(256);
  private stamps = new Uint32Array(256);
  private gen = 0;

  clear(): this {
    this.gen++;
    this.size = 0;
    return this;
  }

  /** Adds a bucket; false if the set has it already. */
  add(id: number): boolean {
    if (2 * (this.size + 1) > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    // The product's high 20 bits: as many start slots as a 2^20-bucket model has buckets.
    let h = (Math.imul(id, 0x9e3779b1) >>> 12) & mask;
    while (this.stamps[h] === this.gen) {
      if (this.slots[h] === id) return false;
      h = (h + 1) & mask;
    }
    this.stamps[h] = this.gen;
    this.slots[h] = id;
    if (this.size === this.ids.length) {
      const grown = new Int32Array(2 * this.size);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.size++] = id;
    return true;
  }

  /** Four times the slots, with the buckets added so far put back. */
  private grow(): void {
    const n = this.size;
    this.slots = new Int32Array(4 * this.slots.length);
    this.stamps = new Uint32Array(this.slots.length);
    this.size = 0;
    for (let k = 0; k < n; k++) this.add(this.ids[k]!);
  }
}

const WORD = 0;
const BIGRAM = 1;
const LEXICON = 2;

/**
 * Keeps the `size` largest |z| offered, largest first (ties: the earlier stays ahead), in slots
 * reused from text to text: an offer allocates nothing, and labels are built only for what is kept.
 */
class TopK {
  size = 0;
  n = 0;
  private abs = new Float64Array(0);
  private z = new Float64Array(0);
  private kind = new Uint8Array(0);
  /** The token index it came from (a bigram's second token). */
  private at = new Int32Array(0);
  private a: string[] = [];
  private b: string[] = [];

  reset(size: number): this {
    if (size > this.abs.length) {
      this.abs = new Float64Array(size + 1);
      this.z = new Float64Array(size + 1);
      this.kind = new Uint8Array(size + 1);
      this.at = new Int32Array(size + 1);
    }
    this.size = size;
    this.n = 0;
    return this;
  }

  offer(z: number, kind: number, at: number, a: string, b: string): void {
    const abs = Math.abs(z);
    if (abs < 1e-6) return;
    let i = this.n;
    if (i === this.size && (i === 0 || abs <= this.abs[i - 1]!)) return;
    while (i > 0 && this.abs[i - 1]! < abs) i--;
    // Shift the smaller ones down one slot (the last falls off when full).
    const last = Math.min(this.n, this.size - 1);
    for (let j = last; j > i; j--) {
      this.abs[j] = this.abs[j - 1]!;
      this.z[j] = this.z[j - 1]!;
      this.kind[j] = this.kind[j - 1]!;
      this.at[j] = this.at[j - 1]!;
      this.a[j] = this.a[j - 1]!;
      this.b[j] = this.b[j - 1]!;
    }
    this.abs[i] = abs;
    this.z[i] = z;
    this.kind[i] = kind;
    this.at[i] = at;
    this.a[i] = a;
    this.b[i] = b;
    if (this.n < this.size) this.n++;
  }

  /** The kept features as attributions, their weight times the text's feature `value`. */
  drain(value: number, out: Attribution[]): void {
    for (let i = 0; i < this.n; i++) {
      const z = this.z[i]! * value;
      const at = this.at[i]!;
      const kind = this.kind[i]!;
      if (kind === WORD) out.push({ label: this.a[i]!, weight: z, tokens: [at, at + 1] });
      else if (kind === BIGRAM)
        out.push({ label: `${this.a[i]!} ${this.b[i]!}`, weight: z, tokens: [at - 1, at + 1] });
      else out.push({ label: this.a[i]!, weight: z });
    }
    this.a.fill('', 0, this.n);
    this.b.fill('', 0, this.n);
    this.n = 0;
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

/** Token texts the model keeps scored: `Memo`'s two maps of this many each (see `TOKEN_MEMO` in compile.ts). */
const SCORED_MEMO = 10_000;
/** Size of the direct-mapped front of the token memo (a power of two). */
const TOKEN_SLOTS = 8192;

/** A cheap slot for a token text (length and three of its characters), as the lexicon layer's. */
function slotOf(text: string): number {
  const len = text.length;
  if (len === 0) return 0;
  return (
    (len * 0x9e37 +
      text.charCodeAt(0) * 0x3b +
      text.charCodeAt(len - 1) * 0x1f1 +
      text.charCodeAt(len >> 1) * 7) &
    (TOKEN_SLOTS - 1)
  );
}

/** Set bits in a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * A model's bucket weights, only the non-zero ones kept: a web model has a quarter of its 2^20
 * buckets trained, a marketplace model a twentieth, and a dense array took 4 MB of every worker's
 * memory per model. A bit per bucket says whether it has a weight (128 KB, in cache: most word pairs
 * of a page were never trained on, and are answered by it alone); the weights follow in bucket
 * order, found by the set bits before the bucket (counted per 32 buckets as they are added).
 */
export class SparseWeights {
  private readonly nonZero: Uint32Array;
  /** Set bits of `nonZero` before each of its words (those up to the last bucket added). */
  private readonly before: Uint32Array;
  private readonly values: Float32Array;
  private n = 0;
  private last = -1;
  /** Words of `before` filled. */
  private words = 0;

  /** Empty weights of `length` buckets, `add` filling at most `capacity` of them. */
  constructor(
    readonly length: number,
    capacity: number,
  ) {
    this.nonZero = new Uint32Array(Math.ceil(length / 32));
    this.before = new Uint32Array(this.nonZero.length);
    this.values = new Float32Array(capacity);
  }

  /** Training's dense weights. */
  static fromDense(dense: Float32Array): SparseWeights {
    let n = 0;
    for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) n++;
    const w = new SparseWeights(dense.length, n);
    for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) w.add(i, dense[i]!);
    return w;
  }

  /** Sets bucket `i` to `weight` (0 is left out); buckets are added in ascending order. */
  add(i: number, weight: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length)
      throw new Error(`weight index ${i} is outside ${this.length} buckets`);
    if (i <= this.last) throw new Error(`weight index ${i} comes after ${this.last}: indices must ascend`);
    this.last = i;
    if (weight === 0) return;
    if (this.n === this.values.length) throw new Error(`more than ${this.values.length} weights`);
    const word = i >>> 5;
    while (this.words <= word) this.before[this.words++] = this.n;
    this.nonZero[word]! |= 1 << (i & 31);
    this.values[this.n++] = weight;
  }

  /** The weight of bucket `i` (0 when untrained). */
  get(i: number): number {
    const at = i >>> 5;
    const word = this.nonZero[at]!;
    const bit = i & 31;
    if (((word >>> bit) & 1) === 0) return 0;
    return this.values[this.before[at]! + popcount(word & ((1 << bit) - 1))]!;
  }
}

export class TextModel {
  readonly featuriser: Featuriser;
  /**
   * By token text, and by folded key: spellings of one key share the object, so it counts once in a
   * text. The two rotate together, between texts (`score`), never in the middle of one; and a token's
   * key is read back into `byKey`'s young map whenever its text is, so a key leaves `byKey` only with
   * every text that holds it.
   */
  private readonly scored = new Memo<ScoredToken>(Number.POSITIVE_INFINITY);
  private readonly byKey = new Memo<ScoredToken>(Number.POSITIVE_INFINITY);
  /** Direct-mapped front of `scored`: a slot's text and its token, compared by value. */
  private readonly slotText: Array<string | undefined> = new Array(TOKEN_SLOTS);
  private readonly slotToken: Array<ScoredToken | undefined> = new Array(TOKEN_SLOTS);
  private gen = 0;
  private readonly top = new TopK();
  /** The distinct lexicon buckets of the text being scored (and the feature naming each), and its word pairs. */
  private readonly lexBuckets = new BucketSet();
  private lexLabels: string[] = [];
  private readonly pairBuckets = new BucketSet();

  readonly weights: SparseWeights;

  constructor(
    readonly manifest: ModelManifest,
    weights: Float32Array | SparseWeights,
    /** Token texts read or scored since the memo last rotated that make it rotate again. */
    private readonly memo = SCORED_MEMO,
  ) {
    this.featuriser = new Featuriser(manifest.bits);
    this.weights = weights instanceof SparseWeights ? weights : SparseWeights.fromDense(weights);
  }

  /** p_text for features made by this model's featuriser (training's path). */
  probability(f: TextFeatures): number {
    let z = 0;
    const w = this.weights;
    for (let i = 0; i < f.ids.length; i++) z += w.get(f.ids[i]!);
    return sigmoid(this.manifest.bias + z * f.value);
  }

  /** Token texts the memo holds (tests: numbers are never among them). */
  get memoised(): number {
    return this.scored.size;
  }

  /** The token of a folded key (spellings of one key share it), scored when first met. */
  private keyed(key: string): ScoredToken {
    let s = this.byKey.get(key);
    if (s === undefined) {
      const n = this.featuriser.fillRow(key);
      const row = this.featuriser.row;
      let z = 0;
      for (let i = 0; i < n; i++) z += this.weights.get(row[i]!);
      s = { key, kh: pairHash(key), z, n, gen: 0 };
      this.byKey.set(key, s);
    }
    return s;
  }

  private token(text: string): ScoredToken {
    // A number is its shape (`1150` → `0000`, `№521400` → `no000000`): found by that, never kept by
    // its text, or a page's prices, order numbers and dates would fill the memo.
    const shape = numberShape(text);
    if (shape !== null) return this.keyed(shape);
    const slot = slotOf(text);
    if (this.slotText[slot] === text) return this.slotToken[slot]!;
    // The memo and the slots keep only owned copies of token texts (see `unpinned`).
    const young = this.scored.youngSize;
    let s = this.scored.get(text);
    text = unpinned(text);
    if (s === undefined) {
      s = this.keyed(foldKey(text));
      // An ID's key is its shape (`item483920` → `item000000`): kept only by that, as a number is.
      if (hasIdRun(text)) return s;
      this.scored.set(text, s);
    } else if (this.scored.youngSize !== young) this.byKey.get(s.key); // read back from the old map: its key too
    this.slotText[slot] = text;
    this.slotToken[slot] = s;
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
    const top = explain ? this.top.reset(explain.top) : null;
    if (this.scored.youngSize >= this.memo) {
      // Between texts: a token counted in this one stays in both maps until it ends. The slots may hold what goes.
      this.scored.rotate();
      this.byKey.rotate();
      this.slotText.fill(undefined);
    }
    const gen = ++this.gen;
    const pairs = this.pairBuckets.clear();
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
        if (top !== null) top.offer(t.z, WORD, i, t.key, '');
      }
      if (prev !== null && !tok.breakBefore) {
        const b = bigramBucket(prev.kh, t.kh) & mask;
        if (pairs.add(b)) {
          const wb = w.get(b);
          z += wb;
          n++;
          if (top !== null) top.offer(wb, BIGRAM, i, prev.key, t.key);
        }
      }
      prev = t;
    }
    // Each distinct lexicon bucket once, in the order first seen (the first feature names it).
    const lex = this.lexBuckets.clear();
    for (let k = 0; k < lexicon.length; k++) {
      const f = lexicon[k]!;
      if (lex.add(this.featuriser.bucket(f))) this.lexLabels[lex.size - 1] = f;
    }
    const m = lex.size;
    for (let k = 0; k < m; k++) {
      const wl = w.get(lex.ids[k]!);
      z += wl;
      n++;
      if (top !== null) top.offer(wl, LEXICON, -1, this.lexLabels[k]!, '');
    }
    this.lexLabels.fill('', 0, m);
    const value = n ? 1 / Math.sqrt(n) : 0;
    if (top !== null && explain) top.drain(value, explain.out);
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

/** Reads `encodeWeights` output (buckets of `2^bits`); throws on a malformed file. */
export function decodeWeights(gz: Buffer, bits: number): SparseWeights {
  const buf = gunzipSync(gz);
  if (buf.length < 4) throw new Error('weights file is truncated');
  const n = buf.readUInt32LE(0);
  if (buf.length !== 4 + 8 * n)
    throw new Error(`weights file holds ${buf.length} bytes, expected ${4 + 8 * n}`);
  const w = new SparseWeights(1 << bits, n);
  for (let k = 0; k < n; k++) w.add(buf.readUInt32LE(4 + 4 * k), buf.readFloatLE(4 + 4 * n + 4 * k));
  return w;
}

/** The version of a model: a hash of its weights and the numbers that use them. */
export function modelVersion(
  weights: Buffer,
  m: Pick<ModelManifest, 'bits' | 'bias' | 'stack' | 'threshold'>,
): string {
  // The stack's fields in a fixed order (a parsed manifest's object has the schema's order, a
  // trained one the trainer's); fields a manifest lacks drop out, so older versions still match.
  const { model, lexicon, lexiconLead, bias, veto, recruitment, innocent } = m.stack;
  const stack = { model, lexicon, lexiconLead, bias, veto, recruitment, innocent };
  return createHash('sha256')
    .update(weights)
    .update(JSON.stringify([m.bits, m.bias, stack, m.threshold]))
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
  stack: z.object({
    model: z.number(),
    lexicon: z.number(),
    lexiconLead: z.number(),
    bias: z.number(),
    veto: z.boolean().optional(),
    innocent: z.boolean().optional(),
    recruitment: z.boolean().optional(),
  }),
  threshold: z.number().gt(0).lt(1),
  lexiconVersion: z.string(),
  maxChars: z.number().int().positive().optional(),
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
    inputs: z
      .array(z.object({ name: z.string(), lexicon: metricsSchema, stacked: metricsSchema }))
      .optional(),
  }),
  command: z.string(),
});
