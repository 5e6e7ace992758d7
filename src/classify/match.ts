import { createRequire } from 'node:module';
import {
  countScripts,
  cyrToLat,
  dominantScript,
  foldHomoglyphs,
  latToCyr,
  leetVariants,
  phraseReading,
  turkicStems,
} from './fold.ts';
import type { Script } from './fold.ts';
import { stemEn, stemRu } from './stem.ts';
import { hasIdRun, isDigits, isNumero, type Token, unpinned } from './tokenise.ts';
import type { CompiledLexicons, TokenHit, TokenInfo, Via } from './types.ts';

const require = createRequire(import.meta.url);
const jaroWinkler = require('natural/lib/natural/distance/jaro-winkler_distance.js') as (
  a: string,
  b: string,
  opts?: { ignoreCase?: boolean },
) => number;
const { DamerauLevenshteinDistance } = require('natural/lib/natural/distance/levenshtein_distance.js') as {
  DamerauLevenshteinDistance: (a: string, b: string) => number;
};

/** For prices and quantities: `price`, `quantity` (weight or dose), `count` (pieces); `handle` (@name). */
export type MatchLabel = 'price' | 'quantity' | 'count' | 'handle';

/**
 * A term found in the normalised text. One monomorphic class (no optional fields, no spreads) so
 * the hot path stays fast: `classify` fills the original span and scoring fields in place.
 */
export class RawMatch {
  /** Term id, or -1 for a price/quantity/handle. */
  readonly term: number;
  /** Start/end in the normalised text. */
  readonly start: number;
  readonly end: number;
  readonly via: Via;
  readonly label: MatchLabel | null;
  /** Set by `classify`: the match is in `opts.title`. */
  inTitle = false;
  /** Set by `classify`: span in the original text. */
  origStart = 0;
  origEnd = 0;
  /** Set by `classify`: dropped by an overlap or explained away by an innocent sense. */
  dropped = false;

  constructor(term: number, start: number, end: number, via: Via, label: MatchLabel | null = null) {
    this.term = term;
    this.start = start;
    this.end = end;
    this.via = via;
    this.label = label;
  }
}

const TURKIC_LANGS = new Set(['kk', 'ky', 'uz', 'uz-cyrl', 'tg']);
/** Letters of Kazakh, Kyrgyz, Uzbek and Tajik Cyrillic that Russian does not have. */
const TURKIC_LETTERS = /[әғқңөұүһіӣӯҳҷў]/;
/** A run of three digits or more: no leet reading of a word holding one is looked up. */
const DIGIT_RUN = /\d{3}/;

/** Fuzzy matching: minimum token length, and the Jaro-Winkler pre-filter. */
export const FUZZY_MIN_LENGTH = 8;
const FUZZY_MIN_JW = 0.88;
/** Transliterated lookups: minimum token length, and for matching by stem. */
const MIN_TRANSLIT = 4;
const MIN_TRANSLIT_STEM = 6;

/** Maximum edits a fuzzy match may need: one, two for 11+ letters. */
export function maxEdits(length: number): number {
  return length >= 11 ? 2 : 1;
}

function lookup(lex: CompiledLexicons, key: string, script: Script, via: Via): TokenHit[] {
  const direct = lex.exact.get(key);
  if (direct) return direct.map((term) => ({ term, via }));
  const letters = script === 'latin' || script === 'cyrillic';
  if (!letters) return [];
  const stemVia: Via = via === 'exact' ? 'stem' : via;
  // Stems are made of forms of letters only, and stemming takes only letters off a word's end: a
  // word with a digit (an ID, a hash, a price glued to a word) has no stem to find, nor has its
  // transliteration below, which keeps the digits.
  const stemmed = key.length >= 4 && !hasDigit(key);
  const st = !stemmed
    ? undefined
    : script === 'latin'
      ? lex.stems.get(`en:${stemEn(key)}`)
      : lex.stems.get(`ru:${stemRu(key)}`);
  if (st) return st.map((term) => ({ term, via: stemVia }));
  for (const s of turkicStems(key, script)) {
    // A Kazakh/Kyrgyz/Uzbek/Tajik suffix on a Russian loanword (`мефті`, `ботқа`, `курерҳо`) is
    // recognisable by its letters; other suffix-like endings only strip toward Turkic-language forms
    // (Russian `метка` is not `мет` + `-ка`).
    const loan = TURKIC_LETTERS.test(key.slice(s.length));
    const hit = lex.exact.get(s)?.filter((t) => loan || TURKIC_LANGS.has(lex.terms[t]!.lang));
    if (hit?.length) return hit.map((term) => ({ term, via: via === 'exact' ? 'suffix' : via }));
  }
  // The other script: Russian written in Latin letters, abbreviations written in Cyrillic. Short
  // words are left alone (English `led`, `met` are not лед, мет), and only long ones are stemmed
  // (`change` is not a form of чанга).
  if (key.length < MIN_TRANSLIT) return [];
  const other = script === 'latin' ? latToCyr(key) : cyrToLat(key);
  if (other && other !== key) {
    const trVia: Via = via === 'exact' ? 'translit' : via;
    const found =
      lex.exact.get(other) ??
      (other.length >= MIN_TRANSLIT_STEM && stemmed
        ? lex.stems.get(script === 'latin' ? `ru:${stemRu(other)}` : `en:${stemEn(other)}`)
        : undefined) ??
      [];
    const ok = found.filter((t) => lex.terms[t]!.translit);
    if (ok.length) return ok.map((term) => ({ term, via: trVia }));
  }
  return [];
}

/** `boundedDistance`'s three rows, reused (grown to the longest form): a call allocates nothing. */
let rows = [new Int32Array(32), new Int32Array(32), new Int32Array(32)] as const;

/**
 * Damerau-Levenshtein distance if it is at most `max`, else `max + 1` (banded, early exit): a cheap
 * filter before natural's full distance, run on every fuzzy candidate of a word new to the memo.
 */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = a.length;
  const m = b.length;
  if (rows[0].length <= m) {
    const size = 2 ** Math.ceil(Math.log2(m + 1));
    rows = [new Int32Array(size), new Int32Array(size), new Int32Array(size)];
  }
  // Row i - 2 (read from i = 2 on), row i - 1, and row i.
  let [prev2, prev, cur] = rows;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const cost = ai === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1))
        v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return Math.min(prev[m]!, max + 1);
}

function fuzzyLookup(lex: CompiledLexicons, key: string): TokenHit[] {
  const cands = lex.fuzzy.get(key[0]!);
  if (!cands) return [];
  const edits = maxEdits(key.length);
  let best: { term: number; d: number } | undefined;
  for (const c of cands) {
    if (Math.abs(c.key.length - key.length) > edits) continue;
    if (boundedDistance(key, c.key, edits) > edits) continue;
    if (jaroWinkler(key, c.key) < FUZZY_MIN_JW) continue;
    const d = DamerauLevenshteinDistance(key, c.key);
    if (d <= maxEdits(Math.min(key.length, c.key.length)) && (!best || d < best.d))
      best = { term: c.term, d };
  }
  return best ? [{ term: best.term, via: 'fuzzy' }] : [];
}

const NO_HITS: readonly TokenHit[] = [];

function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isDigitCode(text.charCodeAt(i))) return true;
  return false;
}

/** An ASCII digit's UTF-16 code. */
function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function tokenInfo(
  lex: CompiledLexicons,
  text: string,
  key: string,
  latinKey: string,
  hits: readonly TokenHit[],
  han: boolean,
): TokenInfo {
  // The phrase search walks the trie from every token: the walk through the token's own key is
  // the same each time, so it is made once here, with the rest of the token's analysis.
  const automaton = lex.automaton;
  let state = lex.phrases.length > 0 ? 0 : -1;
  let ends: number[] | undefined;
  for (let o = 0; o < latinKey.length && state >= 0; o++) {
    state = automaton.child(state, latinKey.charCodeAt(o));
    const found = state >= 0 ? automaton.patternsAt(state) : undefined;
    if (found) {
      ends ??= [];
      for (const pid of found) ends.push(o + 1, pid);
    }
  }
  return { text, key, latinKey, hits, han, phraseState: state, phraseEnds: ends ?? NO_ENDS };
}

const NO_ENDS: readonly number[] = [];

/** Analyses one token (memoised per lexicon): its phrase key and its hash-map hits. */
export function analyseToken(lex: CompiledLexicons, text: string): TokenInfo {
  // Numbers (prices, ids, dates) never hit the hash map and would flood the cache.
  if (isDigits(text) || isNumero(text)) return tokenInfo(lex, text, text, text, NO_HITS, false);
  const len = text.length;
  const slot =
    (len * 0x9e37 +
      text.charCodeAt(0) * 0x3b +
      text.charCodeAt(len - 1) * 0x1f1 +
      text.charCodeAt(len >> 1) * 7) &
    (lex.tokenSlots.length - 1);
  const inSlot = lex.tokenSlots[slot];
  if (inSlot !== undefined && inSlot.text === text) return inSlot;
  const cached = lex.tokenCache.get(text);
  if (cached) {
    lex.tokenSlots[slot] = cached;
    return cached;
  }
  if (hasIdRun(text)) return idToken(lex, text);
  return analyseNew(lex, unpinned(text), slot);
}

/**
 * A token holding an ID (`hasIdRun`): a listed form as written (`u47700`) or nothing, read like a number
 * (no stem, no transliteration or leet reading, none of which a form with five digits has), and kept in
 * no memo.
 */
function idToken(lex: CompiledLexicons, text: string): TokenInfo {
  const exact = lex.exact.get(text);
  const hits = exact === undefined ? NO_HITS : exact.map((term): TokenHit => ({ term, via: 'exact' }));
  return tokenInfo(lex, text, text, text, hits, false);
}

/** A token not seen before (`text` owned, see `unpinned`): analysed once, then kept in the caches. */
function analyseNew(lex: CompiledLexicons, text: string, slot: number): TokenInfo {
  const counts = countScripts(text);
  const script = dominantScript(counts);
  const mixed = counts.latin > 0 && counts.cyrillic > 0;
  let key = mixed ? foldHomoglyphs(text, script) : text;
  let hits: TokenHit[] = [];
  if (script !== 'han') {
    hits = lookup(lex, key, script, mixed ? 'homoglyph' : 'exact');
    if (hits.length === 0 && mixed && (script === 'latin' || script === 'cyrillic')) {
      // A short word of lookalikes has no clear majority (`BТС`: one Latin letter, two Cyrillic):
      // read it in the other script too, as a listed form only (no stems, no transliteration).
      const other = script === 'latin' ? 'cyrillic' : 'latin';
      const otherKey = foldHomoglyphs(text, other);
      const exact = lex.exact.get(otherKey);
      if (exact !== undefined) {
        hits = exact.map((term) => ({ term, via: 'homoglyph' }));
        key = otherKey;
      }
    }
    const unread = key;
    if (counts.digits > 0) {
      const variants = leetVariants(key, script, counts);
      // Three digits in a row are a number (`vendor483920`, `250мг`), not letters written as digits.
      for (const v of hits.length === 0 && !DIGIT_RUN.test(key) ? variants : []) {
        const vc = countScripts(v);
        const vs = dominantScript(vc);
        hits = lookup(lex, vc.latin > 0 && vc.cyrillic > 0 ? foldHomoglyphs(v, vs) : v, vs, 'leet');
        if (hits.length) break;
      }
      key = phraseReading(key, variants);
    }
    if (
      hits.length === 0 &&
      key.length >= FUZZY_MIN_LENGTH &&
      counts.digits === 0 &&
      (script === 'latin' || script === 'cyrillic')
    ) {
      hits = fuzzyLookup(lex, key);
    }
    if (hits.length === 0 && counts.digits > 0) hits = gluedNumber(lex, unread);
  }
  const latinKey = counts.cyrillic > 0 ? cyrToLat(key) : key;
  const info = tokenInfo(lex, text, key, latinKey, hits, counts.han > 0);
  lex.tokenSlots[slot] = info;
  lex.tokenCache.set(text, info);
  return info;
}

/**
 * A word of three letters or more with a number of up to four digits, and perhaps a unit, glued on:
 * `мефедрон1г`, `кокс05`, and a price glued after the unit: `меф1г3500`, `МЕФ1Г3500Р` (`vendor483920`,
 * `item12345` are IDs).
 */
const GLUED_NUMBER = /^(\p{L}{3,})\d{1,4}(?:\p{L}{1,3}\d{3,6})?\p{L}{0,3}$/u;

/**
 * The word of a token that read as nothing whole (`мефедр0н` is leet, read before), when a number is
 * glued after it (`мефедрон1г`): a listed form (no stem, no transliteration: a page's words glued to
 * IDs are each new, and looked up here once each), the hit spanning its letters. Substances only,
 * and no weak slang (weight at most `explainMaxWeight`): `base64`, `pure0.036` and `ice3` are a data
 * URI, a price glued to a word and a game. The number's quantity is `scanQuantities`'.
 */
function gluedNumber(lex: CompiledLexicons, key: string): TokenHit[] {
  const m = GLUED_NUMBER.exec(key);
  if (m === null) return [];
  const letters = m[1]!.length;
  return gluedTerms(lex, m[1]!).map((term) => ({ term, via: 'exact', letters }));
}

/** The substances `word` is a strong listed form of: what a number glued after it is read with. */
export function gluedTerms(lex: CompiledLexicons, word: string): number[] {
  const found = lex.exact.get(word);
  if (found === undefined) return [];
  return found.filter((term) => {
    const t = lex.terms[term]!;
    return t.group === 'substance' && t.weight > lex.scoring.explainMaxWeight;
  });
}

/**
 * Finds every term in the tokens: hash-map hits per token, then one automaton pass over the
 * tokens' keys joined without separators (so `3-MMC`, `3 mmc`, `3mmc` meet the same pattern; a code
 * such as `K2` not across more than a hyphen or a space, see `tightJunctions`),
 * keeping only matches that start and end on token boundaries (anywhere for Chinese).
 */
export function matchTokens(
  lex: CompiledLexicons,
  tokens: readonly Token[],
  /** The normalised text the tokens index (what stands between tokens decides some phrases). */
  text: string,
  out: RawMatch[] = [],
): RawMatch[] {
  const n = tokens.length;
  const from = out.length;
  const infos: TokenInfo[] = new Array(n);
  const latinKeys: string[] = new Array(n);
  let cyrillic: Uint8Array | null = null;
  let han: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const tok = tokens[i]!;
    const info = analyseToken(lex, tok.text);
    infos[i] = info;
    latinKeys[i] = info.latinKey;
    if (info.latinKey !== info.key) {
      cyrillic ??= new Uint8Array(n);
      cyrillic[i] = 1;
    }
    if (info.han) {
      han ??= new Uint8Array(n);
      han[i] = 1;
    }
    for (const h of info.hits) {
      // A glued word's own letters, where the token is its slice of the text (no apostrophe taken out).
      const end =
        h.letters !== undefined && tok.end - tok.start === tok.text.length ? tok.start + h.letters : tok.end;
      out.push(new RawMatch(h.term, tok.start, end, tok.spaced && h.via === 'exact' ? 'spaced' : h.via));
    }
    if (info.hits.length === 0 && tok.letters !== undefined) segmentSpaced(lex, tok.text, tok.letters, out);
  }
  if (lex.phrases.length > 0 && n > 0) searchPhrases(lex, tokens, infos, latinKeys, cyrillic, han, out, text);
  if (n > 1) splitWords(lex, tokens, text, out, from);
  return out;
}

/** Longest word read joined from its pieces (`splitWords`), in characters. */
const SPLIT_MAX = 24;
/** Signs written for a letter inside a word (`k0k@1n`, `x@n@x`, `м€ф`, `ca$h`), by UTF-16 code. */
const READ_AS: ReadonlyMap<number, string> = new Map([
  [0x40, 'a'], // @
  [0x20ac, 'e'], // €
  [0x24, 's'], // $
]);
/** What may stand between the pieces of a split word (besides the star), by UTF-16 code. */
const SPLITS: ReadonlySet<number> = new Set(
  [...'-‐‑_.·•'].map((c) => c.charCodeAt(0)).concat([...READ_AS.keys()]),
);

/**
 * Words split into pieces to slip past a filter: by syllables (`ме-фе-дрон`, `he.ro.in`, `мефе_дрон`)
 * or with a letter masked by a star or written as a sign (`мефедр*н`, `м*ф`, `k0k@1n`, `м€ф`). Tokens
 * one `-`, `_`, `.`, `·`, `•`, `*` or `READ_AS` sign apart are read joined (`@` as `a`, `€` as `e`,
 * `$` as `s`, digits as leetspeak); with one star between two pieces of letters, the star is also
 * read as any one letter inside the word. Only the forms a post hides (`CompiledLexicons.hidable`): a hyphenated
 * compound, an e-mail address or a censored swear word that joins into weak slang is no drug.
 */
function splitWords(
  lex: CompiledLexicons,
  tokens: readonly Token[],
  text: string,
  out: RawMatch[],
  /** Where this text's matches start in `out`. */
  from: number,
): void {
  const n = tokens.length;
  for (let i = 0; i < n - 1; ) {
    let j = i;
    let stars = 0;
    for (; j + 1 < n; j++) {
      const end = tokens[j]!.end;
      if (tokens[j + 1]!.start !== end + 1) break;
      const c = text.charCodeAt(end);
      if (c === 0x2a) stars++;
      else if (c === 0x20 || !SPLITS.has(c)) break;
    }
    if (j > i) readSplit(lex, tokens, text, i, j, stars, out, from);
    i = j + 1;
  }
}

/** `splitWords` for tokens `a..b`, `stars` of their gaps a star. */
function readSplit(
  lex: CompiledLexicons,
  tokens: readonly Token[],
  text: string,
  a: number,
  b: number,
  stars: number,
  out: RawMatch[],
  from: number,
): void {
  // Most such runs are addresses, dates and decimals (`www.shop.com`, `12.05.2024`): a scan of the
  // pieces' letters turns them away before any lookup.
  let joined = '';
  let latin = 0;
  let cyrillic = 0;
  let digits = 0;
  for (let k = a; k <= b; k++) {
    const t = tokens[k]!;
    if (t.spaced) return;
    if (k > a) {
      const sign = READ_AS.get(text.charCodeAt(tokens[k - 1]!.end));
      if (sign !== undefined) {
        joined += sign;
        latin++;
      }
    }
    const piece = t.text;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 0x61 && c <= 0x7a) latin++;
      else if (c >= 0x400 && c <= 0x4ff) cyrillic++;
      else if (c >= 0x30 && c <= 0x39) digits++;
      else return;
    }
    joined += piece;
    if (joined.length > SPLIT_MAX) return;
  }
  // Two letters and a star may be a word (`м*ф`); joined, three letters at least; digits stand for
  // a letter or two (`k0k@1n`), never most of the word.
  if (latin + cyrillic < 2 || digits > latin + cyrillic) return;
  let terms = NO_TERMS;
  const mixed = latin > 0 && cyrillic > 0;
  if (joined.length >= 3) {
    terms = hidable(
      lex,
      lex.exact.get(mixed ? foldHomoglyphs(joined, dominantScript(countScripts(joined))) : joined),
    );
    // Leetspeak writes a letter or three of a short word as digits; an onion address is no word.
    if (terms.length === 0 && digits > 0 && digits <= 3 && joined.length <= LEET_SPLIT_MAX) {
      const counts = countScripts(joined);
      const s = dominantScript(counts);
      for (const v of leetVariants(joined, s, counts)) {
        const vc = countScripts(v);
        terms = hidable(lex, lex.exact.get(vc.latin > 0 && vc.cyrillic > 0 ? foldHomoglyphs(v, s) : v));
        if (terms.length > 0) break;
      }
    }
  }
  if (terms.length === 0 && stars === 1 && b === a + 1 && digits === 0) {
    const masked = `${tokens[a]!.text}*${tokens[b]!.text}`;
    terms =
      lex.masked.get(mixed ? foldHomoglyphs(masked, dominantScript(countScripts(masked))) : masked) ??
      NO_TERMS;
  }
  if (terms.length === 0) return;
  const start = tokens[a]!.start;
  const end = tokens[b]!.end;
  for (const term of terms) {
    // Read already, by a phrase or a chemical name (`α-PVP`, `crystal-meth`) or in a piece: once is enough.
    let known = false;
    for (let k = from; k < out.length && !known; k++) {
      const m = out[k]!;
      known = m.term === term && m.start < end && m.end > start;
    }
    if (!known) out.push(new RawMatch(term, start, end, 'split'));
  }
}

const NO_TERMS: readonly number[] = [];
/** Longest split word read through its leetspeak (`k0k@1n`, `M.3.F`). */
const LEET_SPLIT_MAX = 12;

/** Those of `terms` a split word may read as (`CompiledLexicons.hidable`). */
function hidable(lex: CompiledLexicons, terms: readonly number[] | undefined): readonly number[] {
  if (terms === undefined) return NO_TERMS;
  let out: readonly number[] = NO_TERMS;
  for (const term of terms) if (lex.hidable.has(term)) out = [...out, term];
  return out;
}

/**
 * Terms looked for inside a letter-spaced run: at most this many letters, and at least `SPACED_INNER`
 * unless the form is at an end of the run (see `atEdge`) or touches a longer term found there (a 3-letter form like
 * `ket` or `tar` spelled across two innocent words is too likely).
 */
const SPACED_MIN = 3;
const SPACED_INNER = 5;
/** Letters a short form at an end of the run must leave on its other side. */
const SPACED_REST = 4;
const SPACED_MAX = 24;

/**
 * A short form at an end of the run counts when it is the whole run or leaves a word's worth of letters
 * on its other side: `m d m a p i l l s` holds `mdma`, but `p l a n e t` does not hold `plan`, nor
 * `b a s k e t` `ket`.
 */
function atEdge(a: number, b: number, length: number): boolean {
  if (a === 0 && b === length) return true;
  return (a === 0 && length - b >= SPACED_REST) || (b === length && a >= SPACED_REST);
}

/**
 * A letter-spaced run that spells no term as a whole is usually several words spaced alike and run
 * together (`p l a y b o y b u n n y m d m a p i l l s`): finds the lexicon's forms inside it, longest
 * first from the left, by exact form only (stems and fuzzy matches of arbitrary substrings would find
 * terms in innocent words), each mapped back to its own letters.
 */
function segmentSpaced(
  lex: CompiledLexicons,
  text: string,
  letters: readonly number[],
  out: RawMatch[],
): void {
  const counts = countScripts(text);
  const mixed = counts.latin > 0 && counts.cyrillic > 0;
  const key = mixed ? foldHomoglyphs(text, dominantScript(counts)) : text;
  // Chemical names (`mdma`, `3mmc`) live in the automaton, whose keys are Latin.
  const latin = counts.cyrillic === 0 && counts.han === 0;
  const found: Array<[number, number, readonly number[]]> = [];
  const at = new Set<number>();
  for (let i = 0; i + SPACED_MIN <= key.length; ) {
    let len = Math.min(SPACED_MAX, key.length - i);
    for (; len >= SPACED_MIN; len--) {
      const terms =
        lex.exact.get(key.slice(i, i + len)) ?? (latin ? chemicalAt(lex, key, i, len) : undefined);
      if (terms === undefined) continue;
      found.push([i, i + len, terms]);
      if (len >= SPACED_INNER) at.add(i).add(i + len);
      break;
    }
    i += len >= SPACED_MIN ? len : 1;
  }
  for (const [a, b, terms] of found) {
    if (b - a < SPACED_INNER && !at.has(a) && !at.has(b) && !atEdge(a, b, key.length)) continue;
    for (const term of terms) out.push(new RawMatch(term, letters[a]!, letters[b - 1]! + 1, 'spaced'));
  }
}

/** The terms of an automaton pattern spelled exactly by `key[i, i + len)`, if any. */
function chemicalAt(
  lex: CompiledLexicons,
  key: string,
  i: number,
  len: number,
): readonly number[] | undefined {
  let s = 0;
  for (let o = i; o < i + len; o++) {
    s = lex.automaton.child(s, key.charCodeAt(o));
    if (s < 0) return undefined;
  }
  const terms: number[] = [];
  for (const pid of lex.automaton.patternsAt(s) ?? []) {
    const ph = lex.phrases[pid]!;
    for (let k = 0; k < ph.terms.length; k++) if (!ph.cyrOnly[k]) terms.push(ph.terms[k]!);
  }
  return terms.length > 0 ? terms : undefined;
}

/**
 * What a code's letter and digits may stand apart by in text (`3-MMC`, `3 mmc`, `W–15`), or nothing:
 * a Chinese character and a digit are tokens of their own even when glued (`4号`).
 */
const CODE_GAP = /^[-‐‑‒– _]?$/;

/**
 * Whether every letter–digit junction between tokens `a..b` is a code's: the tokens one hyphen or
 * space apart (`PhrasePattern.tight`). `w***1 15.3`, `г, 13 000` and `UK/CH/NO: 4-10 days` spell
 * W-15, G13 and heroin No. 4 only across masking, a comma or a colon.
 */
function tightJunctions(
  tokens: readonly Token[],
  keys: readonly string[],
  text: string,
  a: number,
  b: number,
): boolean {
  for (let k = a; k < b; k++) {
    const left = keys[k]!;
    if (isDigitCode(left.charCodeAt(left.length - 1)) === isDigitCode(keys[k + 1]!.charCodeAt(0))) continue;
    if (!CODE_GAP.test(text.slice(tokens[k]!.end, tokens[k + 1]!.start))) return false;
  }
  return true;
}

/**
 * Phrase search over the tokens' Latin keys (Cyrillic transliterated: phrase patterns are compiled
 * the same way), so Cyrillic, transliterated and half-transliterated phrases meet one pattern.
 * Phrases start on token boundaries (anywhere for Chinese), so the trie is walked from each token
 * start — across the following keys while no break intervenes — and from each character of tokens
 * with Chinese characters: a walk ends at the first character no pattern continues with, usually the
 * first. `cyrillic[i]` marks tokens written in Cyrillic, for patterns that need it.
 */
function searchPhrases(
  lex: CompiledLexicons,
  tokens: readonly Token[],
  infos: readonly TokenInfo[],
  keys: readonly string[],
  cyrillic: Uint8Array | null,
  han: Uint8Array | null,
  out: RawMatch[],
  text: string,
): void {
  const automaton = lex.automaton;
  const n = tokens.length;
  // Reports come in order of start (a walk's start is fixed, and walks go left to right), so a
  // (term, span) already reported is among the last matches, those with the same start.
  const from = out.length;
  const reported = (term: number, start: number, end: number): boolean => {
    for (let k = out.length - 1; k >= from && out[k]!.start === start; k--)
      if (out[k]!.term === term && out[k]!.end === end) return true;
    return false;
  };
  const report = (pid: number, a: number, aOff: number, b: number, bEnd: number): void => {
    const ph = lex.phrases[pid]!;
    const ta = tokens[a]!;
    const tb = tokens[b]!;
    const bLen = keys[b]!.length;
    let startNorm: number;
    let endNorm: number;
    if (aOff === 0 && bEnd === bLen) {
      startNorm = ta.start;
      endNorm = tb.end;
    } else if (!ph.bounded && (bEnd === bLen || ph.openEnd)) {
      // Exact character offsets when the token key is the token's own text (Chinese is).
      startNorm = keys[a]!.length === ta.end - ta.start ? ta.start + aOff : ta.start;
      endNorm = bLen === tb.end - tb.start ? tb.start + bEnd : tb.end;
    } else return;
    if (ph.tight && b > a && !tightJunctions(tokens, keys, text, a, b)) return;
    const inCyrillic = cyrillic !== null && (cyrillic[a] === 1 || cyrillic[b] === 1);
    for (let k = 0; k < ph.terms.length; k++) {
      if (ph.cyrOnly[k] && !inCyrillic) continue;
      const term = ph.terms[k]!;
      if (reported(term, startNorm, endNorm)) continue;
      out.push(new RawMatch(term, startNorm, endNorm, 'phrase'));
    }
  };
  const walk = (a: number, aOff: number): void => {
    let s = 0;
    let j = a;
    let o = aOff;
    if (aOff === 0) {
      // Through the first key, the walk is the token's own (`TokenInfo.phraseState`).
      const info = infos[a]!;
      const ends = info.phraseEnds;
      for (let k = 0; k < ends.length; k += 2) report(ends[k + 1]!, a, 0, a, ends[k]!);
      s = info.phraseState;
      if (s < 0) return;
      j++;
      if (j >= n || tokens[j]!.breakBefore) return;
      o = 0;
    }
    for (;;) {
      const key = keys[j]!;
      for (; o < key.length; o++) {
        s = automaton.child(s, key.charCodeAt(o));
        if (s < 0) return;
        const found = automaton.patternsAt(s);
        if (found) for (const pid of found) report(pid, a, aOff, j, o + 1);
      }
      j++;
      if (j >= n || tokens[j]!.breakBefore) return;
      o = 0;
    }
  };
  for (let i = 0; i < n; i++) {
    walk(i, 0);
    if (han !== null && han[i] === 1) for (let o = 1; o < keys[i]!.length; o++) walk(i, o);
  }
}
