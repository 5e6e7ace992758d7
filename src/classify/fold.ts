/**
 * Token-level folds: homoglyphs toward the token's dominant script, leetspeak, and
 * Latin <-> Cyrillic transliteration. All work on one already-normalised (lowercase) token and
 * return new keys; spans are never affected because they come from the token's position.
 */

export type Script = 'latin' | 'cyrillic' | 'han' | 'other' | 'none';

/** Cyrillic letters that look like Latin ones (lowercase, after case folding). */
const CYR_TO_LAT: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  һ: 'h',
  ӏ: 'l',
  є: 'e',
  я: 'r',
  п: 'n',
  и: 'u',
  ш: 'w',
};
/** Latin letters that look like Cyrillic ones. */
export const LAT_TO_CYR: Readonly<Record<string, string>> = {
  a: 'а',
  b: 'в',
  c: 'с',
  e: 'е',
  h: 'н',
  k: 'к',
  m: 'м',
  o: 'о',
  p: 'р',
  t: 'т',
  x: 'х',
  y: 'у',
  i: 'і',
};

const LEET_LAT: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
};
const LEET_LAT_ALT: Record<string, string> = { '1': 'l', '9': 'g' };
const LEET_CYR: Record<string, string> = { '0': 'о', '3': 'з', '4': 'ч', '6': 'б', '1': 'і' };
const LEET_CYR_ALT: Record<string, string> = { '3': 'е', '6': 'б' };

/** A CJK ideograph of the BMP (unified, extension A, compatibility). */
export function isHan(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff);
}

function charScript(c: number): Script {
  if ((c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f) || (c >= 0x1e00 && c <= 0x1eff)) return 'latin';
  if (c >= 0x400 && c <= 0x52f) return 'cyrillic';
  if (isHan(c)) return 'han';
  if (c >= 48 && c <= 57) return 'none';
  return 'other';
}

export interface ScriptCounts {
  latin: number;
  cyrillic: number;
  han: number;
  other: number;
  digits: number;
  /** Letters of each script that have no lookalike in the other script. */
  latinOnly: number;
  cyrillicOnly: number;
}

export function countScripts(token: string): ScriptCounts {
  const r: ScriptCounts = {
    latin: 0,
    cyrillic: 0,
    han: 0,
    other: 0,
    digits: 0,
    latinOnly: 0,
    cyrillicOnly: 0,
  };
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const s = charScript(c);
    if (s === 'latin') {
      r.latin++;
      if (LAT_TO_CYR[token[i]!] === undefined) r.latinOnly++;
    } else if (s === 'cyrillic') {
      r.cyrillic++;
      if (CYR_TO_LAT[token[i]!] === undefined) r.cyrillicOnly++;
    } else if (s === 'han') r.han++;
    else if (s === 'none') r.digits++;
    else r.other++;
  }
  return r;
}

/** The script a token is written in: the script of its unambiguous letters, else the majority. */
export function dominantScript(c: ScriptCounts): Script {
  if (c.han > 0 && c.han >= c.latin + c.cyrillic) return 'han';
  if (c.latin === 0 && c.cyrillic === 0) return c.other > 0 ? 'other' : 'none';
  if (c.cyrillicOnly > 0 && c.latinOnly === 0) return 'cyrillic';
  if (c.latinOnly > 0 && c.cyrillicOnly === 0) return 'latin';
  return c.cyrillic > c.latin ? 'cyrillic' : 'latin';
}

/** Folds lookalike letters of the other script toward `target` (`Мeфeдрoн` → `мефедрон`). */
export function foldHomoglyphs(token: string, target: Script): string {
  const table = target === 'cyrillic' ? LAT_TO_CYR : target === 'latin' ? CYR_TO_LAT : null;
  if (!table) return token;
  let out = '';
  for (const ch of token) out += table[ch] ?? ch;
  return out;
}

/**
 * Leetspeak readings of a token that mixes letters and digits (`m3ph` → `meph`, `мефедр0н` →
 * `мефедрон`, `fl4kka` → `flakka`). At most two readings; none when the token has fewer than two
 * letters (so `5g`, `1гр` stay quantities).
 */
export function leetVariants(token: string, script: Script, counts: ScriptCounts): string[] {
  if (counts.digits === 0 || counts.latin + counts.cyrillic < 2) return [];
  const main = script === 'cyrillic' ? LEET_CYR : LEET_LAT;
  const alt = script === 'cyrillic' ? LEET_CYR_ALT : LEET_LAT_ALT;
  let a = '';
  let b = '';
  let usedAlt = false;
  for (const ch of token) {
    a += main[ch] ?? ch;
    const x = alt[ch];
    if (x !== undefined) usedAlt = true;
    b += x ?? main[ch] ?? ch;
  }
  return usedAlt && b !== a ? [a, b] : [a];
}

/** Letters only at both ends, digits inside: `m0ve`, `p4cks`, `m30s`, `м3ф`. */
const INNER_DIGITS = /^\p{L}+(?:\d+\p{L}+)+$/u;

/**
 * The reading phrase search sees of a token with digits: its first leet reading when the digits are
 * leetspeak — words whose digits all sit between letters (`m0ve`, `p4cks`, `мефедр0н`); chemical names
 * start or end with theirs, in either script (`3mmc`, `jwh018`, `4en`, `3ммс`, `к2`) — else the token
 * itself. Text tokens and lexicon forms are read alike, so a listed `m30s` meets the text's `m30s`.
 */
export function phraseReading(key: string, variants: readonly string[]): string {
  const leet = variants[0];
  return leet !== undefined && INNER_DIGITS.test(key) ? leet : key;
}

const CYR_LATIN: Record<string, string> = {
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
  і: 'i',
  ә: 'a',
  ғ: 'g',
  қ: 'q',
  ң: 'ng',
  ө: 'o',
  ұ: 'u',
  ү: 'u',
  һ: 'h',
  ў: 'o',
  ҳ: 'h',
  ҷ: 'j',
  ӣ: 'i',
  ӯ: 'u',
};

/** Cyrillic → Latin with one practical scheme (`мдма` → `mdma`, `закладка` → `zakladka`). */
export function cyrToLat(token: string): string {
  let out = '';
  for (const ch of token) out += CYR_LATIN[ch] ?? ch;
  return out;
}

const LAT_DIGRAPHS: Array<[string, string]> = [
  ['shch', 'щ'],
  ['sch', 'щ'],
  ['zh', 'ж'],
  ['kh', 'х'],
  ['ch', 'ч'],
  ['sh', 'ш'],
  ['ts', 'ц'],
  ['ya', 'я'],
  ['ja', 'я'],
  ['yu', 'ю'],
  ['ju', 'ю'],
  ['yo', 'е'],
  ['ye', 'е'],
  ['ph', 'ф'],
];
const LAT_SINGLE: Record<string, string> = {
  a: 'а',
  b: 'б',
  c: 'к',
  d: 'д',
  e: 'е',
  f: 'ф',
  g: 'г',
  h: 'х',
  i: 'и',
  j: 'й',
  k: 'к',
  l: 'л',
  m: 'м',
  n: 'н',
  o: 'о',
  p: 'п',
  q: 'к',
  r: 'р',
  s: 'с',
  t: 'т',
  u: 'у',
  v: 'в',
  w: 'в',
  x: 'х',
  z: 'з',
};
const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);

/** `LAT_DIGRAPHS` by first letter, each list in its order (the first that matches is taken). */
const DIGRAPHS_BY_FIRST = new Map<string, Array<[string, string]>>();
for (const d of LAT_DIGRAPHS) {
  const list = DIGRAPHS_BY_FIRST.get(d[0][0]!) ?? [];
  list.push(d);
  DIGRAPHS_BY_FIRST.set(d[0][0]!, list);
}

/**
 * Latin → Cyrillic for Russian written in Latin letters (`mefedron` → `мефедрон`,
 * `zakladki` → `закладки`, `sol` → `сол`). Returns `null` for tokens with non-Latin letters.
 */
export function latToCyr(token: string): string | null {
  let out = '';
  let i = 0;
  outer: while (i < token.length) {
    const ch = token[i]!;
    const digraphs = DIGRAPHS_BY_FIRST.get(ch);
    if (digraphs !== undefined)
      for (const [from, to] of digraphs) {
        if (token.startsWith(from, i)) {
          out += to;
          i += from.length;
          continue outer;
        }
      }
    if (ch === 'y') out += i > 0 && VOWELS.has(token[i - 1]!) ? 'й' : 'ы';
    else {
      const m = LAT_SINGLE[ch];
      if (m === undefined) {
        if (ch >= '0' && ch <= '9') out += ch;
        else return null;
      } else out += m;
    }
    i++;
  }
  return out;
}

const TURKIC_CYR = [
  'ларыңыз',
  'ларды',
  'лерді',
  'дарды',
  'лардан',
  'лерден',
  'ларга',
  'ларға',
  'лерге',
  'ларда',
  'лерде',
  'лары',
  'лері',
  'нинг',
  'лар',
  'лер',
  'дар',
  'дер',
  'тар',
  'тер',
  'лор',
  'дор',
  'нің',
  'ның',
  'дің',
  'дың',
  'нын',
  'нин',
  'нун',
  'дан',
  'ден',
  'тан',
  'тен',
  'нан',
  'нен',
  'ҳоро',
  'ҳо',
  'ро',
  'ни',
  'ны',
  'ну',
  'ды',
  'ді',
  'ты',
  'ті',
  'ҳои',
  'ға',
  'ге',
  'қа',
  'ке',
  'га',
  'ка',
  'да',
  'де',
  'та',
  'те',
  'сы',
  'сі',
  'и',
  'ы',
  'і',
];
const TURKIC_LAT = [
  'larimiz',
  'laringiz',
  'lardan',
  'larni',
  'larga',
  'larda',
  'ning',
  'ingiz',
  'imiz',
  'lar',
  'dan',
  'chi',
  'ni',
  'ga',
  'ka',
  'qa',
  'da',
  'si',
  'i',
];

/**
 * Stems for Kazakh, Kyrgyz, Uzbek and Tajik by stripping common case and plural suffixes (up to
 * two, leaving at least three letters). Returns candidate stems: one suffix stripped (longest
 * stems first), then two.
 */
export function turkicStems(token: string, script: Script): string[] {
  const list = script === 'cyrillic' ? TURKIC_CYR : script === 'latin' ? TURKIC_LAT : null;
  if (!list || token.length < 5) return [];
  const out: string[] = [];
  // Every suffix that fits (`ҳероини` is `ҳероин` + `-и`, not `ҳерои` + `-ни`), then one more strip.
  for (const suf of list) {
    if (!token.endsWith(suf) || token.length - suf.length < 3) continue;
    const one = token.slice(0, -suf.length);
    if (!out.includes(one)) out.push(one);
  }
  out.sort((a, b) => b.length - a.length);
  const firsts = out.length;
  for (let i = 0; i < firsts; i++) {
    const cur = out[i]!;
    const suf = list.find((x) => cur.endsWith(x) && cur.length - x.length >= 3);
    if (suf) {
      const two = cur.slice(0, -suf.length);
      if (!out.includes(two)) out.push(two);
    }
  }
  return out;
}
