import { countScripts, cyrToLat, dominantScript, foldHomoglyphs, leetVariants } from '../fold.ts';
import { hasIdRun, idShape, isDigits, numberShape, type Token } from '../tokenise.ts';

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
 *   so a page listing numbers counts the word once and its bigrams meet `1г 0000` as one pair;
 *   a number after the numero sign (`№521400`, which NFKC writes `no521400`) is `no000000`, a word;
 *   a token with an ID in it (five digits in a row, `item483920`) is its shape, `item000000`.
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

/** FNV-1a over UTF-16 units. */
export function hashString(s: string): number {
  return fnv(FNV_OFFSET, s, 0, s.length) >>> 0;
}

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a state `h` carried on over `s[from, to)`; `>>> 0` of it is `hashString` of what it has read. */
function fnv(h: number, s: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** The hash states after each feature kind's prefix: a feature's hash without its string. */
const W_PREFIX = fnv(FNV_OFFSET, 'w:', 0, 2);
const C_PREFIX = fnv(FNV_OFFSET, 'c:', 0, 2);
const H_PREFIX = fnv(FNV_OFFSET, 'h:', 0, 2);
const B_PREFIX = fnv(FNV_OFFSET, 'b:', 0, 2);
const HAN = /\p{Script=Han}/u;
/** The most buckets one token key has (a key of `MAX_SUBWORD_TOKEN` units: 1 + 25 + 24 + 23 + 22). */
const MAX_TOKEN_IDS = 128;

/** A bigram's bucket from its two keys' hashes (order matters), without building its string. */
export function bigramBucket(a: number, b: number): number {
  let h = Math.imul(a ^ 0x2545f491, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** A token key's hash for word pairs (`bigramBucket`). */
export function pairHash(key: string): number {
  return fnv(B_PREFIX, key, 0, key.length) >>> 0;
}

/** 2 where `s[i]` starts a surrogate pair, else 1: the units of the code point at `i`. */
function unitsAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) return 1;
  const d = s.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
}

/** The folded key of a normalised token (see above). */
export function foldKey(text: string): string {
  // A number is its shape: 1150 and 1151 are one word, and a list of numbers counts it once.
  const shape = numberShape(text);
  if (shape !== null) return shape;
  if (hasIdRun(text)) return idShape(text);
  const counts = countScripts(text);
  if (counts.latin + counts.cyrillic === 0) return text;
  const script = dominantScript(counts);
  let key = counts.latin > 0 && counts.cyrillic > 0 ? foldHomoglyphs(text, script) : text;
  if (counts.digits > 0) key = leetVariants(key, script, counts)[0] ?? key;
  return counts.cyrillic > 0 ? cyrToLat(key) : key;
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
  /** What `fillRow` wrote. */
  readonly row = new Int32Array(MAX_TOKEN_IDS);

  constructor(readonly bits: number) {
    this.mask = (1 << bits) - 1;
  }

  bucket(feature: string): number {
    return hashString(feature) & this.mask;
  }

  /** One token's folded key and feature buckets (not memoised: `TextModel` keeps its own memo). */
  analyse(text: string): TokenFeatures {
    const key = foldKey(text);
    return { key, kh: pairHash(key), ids: this.row.slice(0, this.fillRow(key)) };
  }

  /**
   * Writes the buckets of a token key's features (see the module comment: `d:<length>` for a
   * number, else `w:<key>` then `len:<length>`, Chinese `h:` characters and pairs, or the `c:`
   * n-grams of `<key>`) into `row`, and returns how many. Each is hashed as its string would be,
   * without making it and without allocating (a small typed array costs microseconds), so a token
   * new to `TextModel`'s memo (a page's IDs, prices and hashes) is cheap.
   */
  fillRow(key: string): number {
    const out = this.row;
    const mask = this.mask;
    const len = key.length;
    let k = 0;
    if (isDigits(key)) {
      out[k++] = hashString(`d:${len}`) & mask;
      return k;
    }
    out[k++] = fnv(W_PREFIX, key, 0, len) & mask;
    if (len > MAX_SUBWORD_TOKEN) {
      out[k++] = hashString(`len:${Math.min(64, len)}`) & mask;
      return k;
    }
    if (HAN.test(key)) {
      // By code point, as `[...key]`: a character outside the BMP is two units.
      let i = 0;
      while (i < len) {
        const a = i + unitsAt(key, i);
        out[k++] = fnv(H_PREFIX, key, i, a) & mask;
        if (a < len) out[k++] = fnv(H_PREFIX, key, i, a + unitsAt(key, a)) & mask;
        i = a;
      }
      return k;
    }
    // Character n-grams of `<key>`: position 0 is `<`, position len + 1 is `>`.
    const outer = len + 2;
    for (let n = MIN_N; n <= MAX_N; n++) {
      if (n === outer) continue; // the whole word is `w:` already
      for (let i = 0; i + n <= outer; i++) {
        let h = C_PREFIX;
        for (let j = i; j < i + n; j++) {
          h ^= j === 0 ? 60 : j === outer - 1 ? 62 : key.charCodeAt(j - 1);
          h = Math.imul(h, 0x01000193);
        }
        out[k++] = h & mask;
      }
    }
    return k;
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
