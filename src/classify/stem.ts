import { createRequire } from 'node:module';
import { unpinned } from './tokenise.ts';

/**
 * Porter stemmers for English and Russian from `natural`, imported by file (the package's top
 * level loads every module and is slow). Results are memoised per word: page vocabularies repeat.
 */

interface NaturalStemmer {
  stem(word: string): string;
}

const require = createRequire(import.meta.url);
const porterEn = require('natural/lib/natural/stemmers/porter_stemmer.js') as NaturalStemmer;
const porterRu = require('natural/lib/natural/stemmers/porter_stemmer_ru.js') as NaturalStemmer;

const cacheEn = new Map<string, string>();
const cacheRu = new Map<string, string>();
/** Words each stemmer keeps (cleared when full; see `MAX_TOKEN_CACHE` in match.ts). */
const MAX_CACHE = 30_000;
/**
 * Longer words are left as they are: no lexicon term is this long, and natural's stemmers use
 * patterns that are quadratic in word length (a hostile 200,000-letter "word" took minutes).
 */
export const MAX_STEM_LENGTH = 48;

function cached(cache: Map<string, string>, stemmer: NaturalStemmer, word: string): string {
  if (word.length > MAX_STEM_LENGTH) return word;
  let s = cache.get(word);
  if (s === undefined) {
    const own = unpinned(word);
    s = stemmer.stem(own);
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(own, s);
  }
  return s;
}

/** English Porter stem (`drops` → `drop`, `mephedrone` → `mephedron`). */
export function stemEn(word: string): string {
  return cached(cacheEn, porterEn, word);
}

/** Russian Porter stem (`закладки` → `закладк`, `соли` → `сол`). */
export function stemRu(word: string): string {
  return cached(cacheRu, porterRu, word);
}
