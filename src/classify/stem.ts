import { createRequire } from 'node:module';

/**
 * Porter stemmers for English and Russian from `natural`, imported by file (the package's top
 * level loads every module and is slow). Not memoised here: the matcher stems a word only the first
 * time it meets it (its token memo, `TOKEN_MEMO` in compile.ts, is in front), and a memo of its own
 * answered 22 of 18,700 calls on the development set's onion pages while holding 2 MB of a worker's heap.
 */

interface NaturalStemmer {
  stem(word: string): string;
}

const require = createRequire(import.meta.url);
const porterEn = require('natural/lib/natural/stemmers/porter_stemmer.js') as NaturalStemmer;
const porterRu = require('natural/lib/natural/stemmers/porter_stemmer_ru.js') as NaturalStemmer;

/**
 * Longer words are left as they are: no lexicon term is this long, and natural's stemmers use
 * patterns that are quadratic in word length (a hostile 200,000-letter "word" took minutes).
 */
export const MAX_STEM_LENGTH = 48;

/** English Porter stem (`drops` → `drop`, `mephedrone` → `mephedron`). */
export function stemEn(word: string): string {
  return word.length > MAX_STEM_LENGTH ? word : porterEn.stem(word);
}

/** Russian Porter stem (`закладки` → `закладк`, `соли` → `сол`). */
export function stemRu(word: string): string {
  return word.length > MAX_STEM_LENGTH ? word : porterRu.stem(word);
}
