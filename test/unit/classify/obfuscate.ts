/**
 * Deterministic obfuscator for golden cases: what sellers do to dodge filters. Per word of four or
 * more letters, chosen by a seeded PRNG: homoglyphs from the other script, leetspeak, letter
 * spacing, or (for Russian in Cyrillic) transliteration to Latin. Same input and seed, same output.
 * Each trick is exported for `test/bench/obfuscation.ts`, which applies one to every word.
 */
import { hashString } from '../../../src/classify/model/features.ts';
import { rng } from '../../../src/classify/model/train.ts';

const CYR_TO_LAT: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  х: 'x',
  у: 'y',
  к: 'k',
  м: 'm',
  т: 't',
};
const LAT_TO_CYR: Record<string, string> = {
  a: 'а',
  e: 'е',
  o: 'о',
  p: 'р',
  c: 'с',
  x: 'х',
  y: 'у',
  k: 'к',
  m: 'м',
  t: 'т',
};
const LEET: Record<string, string> = { o: '0', о: '0', e: '3', a: '4', i: '1', s: '5', з: '3' };
const TRANSLIT: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'h',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'sch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  ё: 'e',
};

export function homoglyphs(word: string): string {
  let out = '';
  let swapped = 0;
  for (const ch of word) {
    const lower = ch.toLowerCase();
    const repl = CYR_TO_LAT[lower] ?? LAT_TO_CYR[lower];
    if (repl && swapped < 2) {
      out += ch === lower ? repl : repl.toUpperCase();
      swapped++;
    } else out += ch;
  }
  return out;
}

export function leet(word: string): string {
  const chars = [...word];
  // Leave the first letter alone; replace one letter inside the word.
  for (let i = 1; i < chars.length - 1; i++) {
    const r = LEET[chars[i]!.toLowerCase()];
    if (r) {
      chars[i] = r;
      return chars.join('');
    }
  }
  return word;
}

export function spaced(word: string): string {
  return [...word].join(' ');
}

export function translit(word: string): string {
  return [...word].map((ch) => TRANSLIT[ch.toLowerCase()] ?? ch).join('');
}

const WORD = /[\p{L}]{4,}/gu;
const CYRILLIC = /[\u0400-\u04ff]/;
const RUSSIAN_ONLY = /^[а-яё]+$/i;

/** Obfuscates `text` deterministically (seeded by `seed`, e.g. the case id). */
export function obfuscate(text: string, seed: string): string {
  const rnd = rng(hashString(seed));
  let count = 0;
  return text.replace(WORD, (word) => {
    // Chinese has no such words; every other word of 4+ letters gets one trick.
    const r = rnd();
    count++;
    if (CYRILLIC.test(word) && RUSSIAN_ONLY.test(word) && r < 0.2) return translit(word);
    if (r < 0.45) return homoglyphs(word);
    if (r < 0.75) return leet(word);
    if (r < 0.85 && count % 2 === 0) return spaced(word);
    return word;
  });
}
