import { countScripts, cyrToLat, dominantScript, foldHomoglyphs, leetVariants } from '../fold.ts';
import type { Token } from '../tokenise.ts';

/**
 * # Features of the learned layer
 *
 * The model reads the tokens the lexicon layer already made (normalised, letter-spaced runs
 * collapsed), each folded once more so that the obfuscations vendors use meet the same features:
 * homoglyphs toward the token's script, leetspeak (`m3ph` → `meph`), then Cyrillic transliterated
 * to Latin (`мефедрон`, `mefedron` and `meфeдpoн` are one key). Per token key:
 *
 * - the word itself (`w:mefedron`) and the bigram with the next token (`b:buy mefedron`);
 * - character n-grams of `<key>`, lengths 2–5 (fastText's subwords), so unseen spellings,
 *   endings and compounds share weight with the forms in the training data; Chinese runs give
 *   character 1–2-grams instead;
 * - a number only as its length (`d:4`), never its value: its key is its shape (`1150` → `0000`),
 *   so a page listing numbers counts the word once and its bigrams meet `1г 0000` as one pair.
 *
 * The lexicon layer's evidence is added as features too (`L:substance:mephedrone`, the category,
 * the lexicon score in tenths), so the model learns how far to trust each kind of evidence.
 *
 * Each feature is hashed (FNV-1a) into `2^bits` buckets. A text counts each distinct word's features
 * once, each distinct bigram once, and each distinct lexicon feature once, all with value `1/√n` for
 * the n counted (unit length): a short page that repeats one pair fifty times (`Item 0000`) weighs
 * it as once. `TextModel` memoises each word's weight sum, so a page of a few hundred distinct words
 * costs a few hundred map lookups.
 */

const MIN_N = 2;
const MAX_N = 5;
/** Longer tokens (hashes, base64, wallets) give only their word feature and a length. */
const MAX_SUBWORD_TOKEN = 24;

const ALL_DIGITS = /^[0-9]+$/;

/** FNV-1a over UTF-16 units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A bigram's bucket from its two keys' hashes (order matters), without building its string. */
export function bigramBucket(a: number, b: number): number {
  let h = Math.imul(a ^ 0x2545f491, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** The folded key of a normalised token (see above). */
export function foldKey(text: string): string {
  // A number is its shape: 1150 and 1151 are one word, and a list of numbers counts it once.
  if (ALL_DIGITS.test(text)) return '0'.repeat(text.length);
  const counts = countScripts(text);
  if (counts.latin + counts.cyrillic === 0) return text;
  const script = dominantScript(counts);
  let key = counts.latin > 0 && counts.cyrillic > 0 ? foldHomoglyphs(text, script) : text;
  if (counts.digits > 0) key = leetVariants(key, script, counts)[0] ?? key;
  return counts.cyrillic > 0 ? cyrToLat(key) : key;
}

/** The feature strings of one token key, word feature first. */
export function tokenFeatures(key: string): string[] {
  if (/^\d+$/.test(key)) return [`d:${key.length}`];
  const out = [`w:${key}`];
  if (key.length > MAX_SUBWORD_TOKEN) {
    out.push(`len:${Math.min(64, key.length)}`);
    return out;
  }
  if (/\p{Script=Han}/u.test(key)) {
    const chars = [...key];
    for (let i = 0; i < chars.length; i++) {
      out.push(`h:${chars[i]}`);
      if (i + 1 < chars.length) out.push(`h:${chars[i]}${chars[i + 1]}`);
    }
    return out;
  }
  const s = `<${key}>`;
  for (let n = MIN_N; n <= MAX_N; n++) {
    for (let i = 0; i + n <= s.length; i++) {
      const g = s.slice(i, i + n);
      if (g.length === s.length) continue; // the whole word is `w:` already
      out.push(`c:${g}`);
    }
  }
  return out;
}

/** One token's analysis for the model: its folded key and the buckets of its features. */
export interface TokenFeatures {
  readonly key: string;
  /** Hash of the key, for bigrams. */
  readonly kh: number;
  readonly ids: Int32Array;
}

/** The evidence of one text, as the model sees it. */
export interface TextFeatures {
  /** Buckets, a bucket once per time a feature counts (see `Featuriser.features`). */
  ids: Int32Array;
  /** Value of each (`1/√n`). */
  value: number;
}

/**
 * The features that moved a text's logit most, kept while the features are made: a token, a pair of
 * tokens (`tokens` is the index range) or a lexicon feature, with the sum of its new buckets' weights.
 */
export interface Attribution {
  label: string;
  tokens?: [number, number];
  /** Sum of the weights of the buckets it brought (times the text's feature value: its logit share). */
  weight: number;
}

const CACHE_LIMIT = 200_000;

/** Hashes features into buckets; memoises per-token analyses for training (`token`). */
export class Featuriser {
  readonly mask: number;
  private readonly cache = new Map<string, TokenFeatures>();

  constructor(readonly bits: number) {
    this.mask = (1 << bits) - 1;
  }

  bucket(feature: string): number {
    return hashString(feature) & this.mask;
  }

  /** One token's folded key and feature buckets (not memoised: `TextModel` keeps its own memo). */
  analyse(text: string): TokenFeatures {
    const key = foldKey(text);
    const feats = tokenFeatures(key);
    const ids = new Int32Array(feats.length);
    for (let i = 0; i < feats.length; i++) ids[i] = this.bucket(feats[i]!);
    return { key, kh: hashString(`b:${key}`), ids };
  }

  /** `analyse`, memoised (training reads each text's tokens once per row). */
  token(text: string): TokenFeatures {
    let t = this.cache.get(text);
    if (t === undefined) {
      t = this.analyse(text);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(text, t);
    }
    return t;
  }

  /**
   * The feature buckets of a text: each distinct token's features (a subword shared by two words
   * counts twice, as in fastText, where a word is the sum of its subwords), each distinct bigram,
   * each distinct lexicon feature. `TextModel.score` computes the same sum without the list.
   */
  features(tokens: readonly Token[], lexicon: readonly string[]): TextFeatures {
    const out: number[] = [];
    const seen = new Set<string>();
    const pairs = new Set<number>();
    let prev: TokenFeatures | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      const t = this.token(tok.text);
      if (!seen.has(t.key)) {
        seen.add(t.key);
        for (let j = 0; j < t.ids.length; j++) out.push(t.ids[j]!);
      }
      if (prev !== null && !tok.breakBefore) {
        const b = bigramBucket(prev.kh, t.kh) & this.mask;
        if (!pairs.has(b)) {
          pairs.add(b);
          out.push(b);
        }
      }
      prev = t;
    }
    const lex = new Set<number>();
    for (const f of lexicon) lex.add(this.bucket(f));
    for (const id of lex) out.push(id);
    const ids = Int32Array.from(out);
    return { ids, value: ids.length ? 1 / Math.sqrt(ids.length) : 0 };
  }
}
