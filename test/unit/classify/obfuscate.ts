/**
 * Deterministic obfuscator for golden cases: what sellers do to dodge filters. Per word of four or
 * more letters, chosen by a seeded PRNG: homoglyphs from the other script, leetspeak, letter
 * spacing, or (for Russian in Cyrillic) transliteration to Latin. Same input and seed, same output.
 */

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

/** Mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function homoglyphs(word: string): string {
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

function leet(word: string): string {
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

function spaced(word: string): string {
  return [...word].join(' ');
}

function translit(word: string): string {
  return [...word].map((ch) => TRANSLIT[ch.toLowerCase()] ?? ch).join('');
}

const WORD = /[\p{L}]{4,}/gu;
const CYRILLIC = /[\u0400-\u04ff]/;
const RUSSIAN_ONLY = /^[а-яё]+$/i;

/** Obfuscates `text` deterministically (seeded by `seed`, e.g. the case id). */
export function obfuscate(text: string, seed: string): string {
  const rnd = prng(hash(seed));
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
