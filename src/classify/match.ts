import { createRequire } from 'node:module';
import {
  countScripts,
  cyrToLat,
  dominantScript,
  foldHomoglyphs,
  latToCyr,
  leetVariants,
  turkicStems,
} from './fold.ts';
import type { Script } from './fold.ts';
import { stemEn, stemRu } from './stem.ts';
import type { Token } from './tokenise.ts';
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

/** A term found in the normalised text. */
export interface RawMatch {
  /** Term id, or -1 for a price/quantity. */
  readonly term: number;
  /** Start/end in the normalised text. */
  readonly start: number;
  readonly end: number;
  readonly via: Via;
  /** For prices and quantities: `price`, `quantity` (weight or dose), `count` (pieces); `handle` (@name). */
  readonly label?: 'price' | 'quantity' | 'count' | 'handle';
}

const TURKIC_LANGS = new Set(['kk', 'ky', 'uz', 'uz-cyrl', 'tg']);
const MAX_TOKEN_CACHE = 200_000;
/** Fuzzy matching: minimum token length, and the Jaro-Winkler pre-filter. */
export const FUZZY_MIN_LENGTH = 8;
const FUZZY_MIN_JW = 0.88;

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
  const st =
    script === 'latin'
      ? key.length >= 4
        ? lex.stems.get(`en:${stemEn(key)}`)
        : undefined
      : key.length >= 4
        ? lex.stems.get(`ru:${stemRu(key)}`)
        : undefined;
  if (st) return st.map((term) => ({ term, via: stemVia }));
  for (const s of turkicStems(key, script)) {
    const hit = lex.exact.get(s)?.filter((t) => TURKIC_LANGS.has(lex.terms[t]!.lang));
    if (hit?.length) return hit.map((term) => ({ term, via: via === 'exact' ? 'suffix' : via }));
  }
  // The other script: Russian written in Latin letters, abbreviations written in Cyrillic.
  const other = script === 'latin' ? latToCyr(key) : cyrToLat(key);
  if (other && other !== key) {
    const trVia: Via = via === 'exact' ? 'translit' : via;
    const found =
      lex.exact.get(other) ??
      (other.length >= 4
        ? lex.stems.get(script === 'latin' ? `ru:${stemRu(other)}` : `en:${stemEn(other)}`)
        : undefined) ??
      [];
    const ok = found.filter((t) => lex.terms[t]!.translit);
    if (ok.length) return ok.map((term) => ({ term, via: trVia }));
  }
  return [];
}

/**
 * Damerau-Levenshtein distance if it is at most `max`, else `max + 1` (banded, early exit): a cheap
 * filter before natural's full distance.
 */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= m; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
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

/** Analyses one token (memoised per lexicon): its phrase key and its hash-map hits. */
export function analyseToken(lex: CompiledLexicons, text: string): TokenInfo {
  const cached = lex.tokenCache.get(text);
  if (cached) return cached;
  const counts = countScripts(text);
  const script = dominantScript(counts);
  const mixed = counts.latin > 0 && counts.cyrillic > 0;
  let key = mixed ? foldHomoglyphs(text, script) : text;
  let hits: TokenHit[] = [];
  if (script !== 'han') {
    hits = lookup(lex, key, script, mixed ? 'homoglyph' : 'exact');
    if (counts.digits > 0) {
      const variants = leetVariants(key, script, counts);
      for (const v of hits.length === 0 ? variants : []) {
        const vc = countScripts(v);
        const vs = dominantScript(vc);
        hits = lookup(lex, vc.latin > 0 && vc.cyrillic > 0 ? foldHomoglyphs(v, vs) : v, vs, 'leet');
        if (hits.length) break;
      }
      // Cyrillic words with digits are leetspeak (chemical names are Latin): phrases see the letters.
      if (script === 'cyrillic' && variants[0] !== undefined) key = variants[0];
    }
    if (
      hits.length === 0 &&
      key.length >= FUZZY_MIN_LENGTH &&
      counts.digits === 0 &&
      (script === 'latin' || script === 'cyrillic')
    ) {
      hits = fuzzyLookup(lex, key);
    }
  }
  const latinKey = counts.cyrillic > 0 ? cyrToLat(key) : key;
  const info: TokenInfo = { key, latinKey, hits };
  if (lex.tokenCache.size >= MAX_TOKEN_CACHE) lex.tokenCache.clear();
  lex.tokenCache.set(text, info);
  return info;
}

/**
 * Finds every term in the tokens: hash-map hits per token, then one automaton pass over the
 * tokens' keys joined without separators (so `3-MMC`, `3 mmc`, `3mmc` meet the same pattern),
 * keeping only matches that start and end on token boundaries (anywhere for Chinese).
 */
export function matchTokens(lex: CompiledLexicons, tokens: readonly Token[]): RawMatch[] {
  const out: RawMatch[] = [];
  const keys: string[] = new Array(tokens.length);
  const latinKeys: string[] = new Array(tokens.length);
  let anyCyrillic = false;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const info = analyseToken(lex, tok.text);
    keys[i] = info.key;
    latinKeys[i] = info.latinKey;
    if (info.latinKey !== info.key) anyCyrillic = true;
    for (const h of info.hits) {
      out.push({
        term: h.term,
        start: tok.start,
        end: tok.end,
        via: tok.spaced && h.via === 'exact' ? 'spaced' : h.via,
      });
    }
  }
  if (lex.phrases.length === 0 || tokens.length === 0) return out;
  const seen = new Set<string>();
  searchPhrases(lex, tokens, keys, out, seen);
  // Again in Latin letters: phrases written half in Cyrillic, half transliterated.
  if (anyCyrillic) searchPhrases(lex, tokens, latinKeys, out, seen);
  return out;
}

function searchPhrases(
  lex: CompiledLexicons,
  tokens: readonly Token[],
  keys: readonly string[],
  out: RawMatch[],
  seen: Set<string>,
): void {
  // Phrase stream: keys joined; a \u0001 where a phrase may not continue.
  const parts: string[] = [];
  const tokStart = new Int32Array(tokens.length);
  let len = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.breakBefore && i > 0) {
      parts.push('\u0001');
      len++;
    }
    tokStart[i] = len;
    parts.push(keys[i]!);
    len += keys[i]!.length;
  }
  const stream = parts.join('');
  const startTok = new Int32Array(len + 1).fill(-1);
  const endTok = new Int32Array(len + 1).fill(-1);
  const tokAt = new Int32Array(len).fill(-1);
  for (let i = 0; i < tokens.length; i++) {
    const s = tokStart[i]!;
    const e = s + keys[i]!.length;
    startTok[s] = i;
    endTok[e] = i;
    tokAt.fill(i, s, e);
  }
  lex.automaton.search(stream, (pid, s, e) => {
    const ph = lex.phrases[pid]!;
    const si = startTok[s]!;
    const ei = endTok[e]!;
    let startNorm: number;
    let endNorm: number;
    if (si >= 0 && ei >= 0) {
      startNorm = tokens[si]!.start;
      endNorm = tokens[ei]!.end;
    } else if (!ph.bounded) {
      const a = tokAt[s]!;
      const b = tokAt[e - 1]!;
      if (a < 0 || b < 0) return;
      const ta = tokens[a]!;
      const tb = tokens[b]!;
      // Exact character offsets when the token key is the token's own text (Chinese is).
      startNorm = keys[a]!.length === ta.end - ta.start ? ta.start + (s - tokStart[a]!) : ta.start;
      endNorm = keys[b]!.length === tb.end - tb.start ? tb.start + (e - tokStart[b]!) : tb.end;
    } else return;
    for (const term of ph.terms) {
      const id = `${term}:${startNorm}:${endNorm}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ term, start: startNorm, end: endNorm, via: 'phrase' });
    }
  });
}
