/**
 * Chinese forms written half in pinyin. Vendors dodge keyword filters by spelling one or more
 * characters of a word in Latin letters: `ke卡因`, `安fei他命`, `海luo因`, `冰du`, `现huo`, and a whole
 * name as `ke ka yin`. Every Chinese form (substances, and the intent, contact, payment and negative
 * words that weigh them) is also compiled in those spellings (`pinyinVariants`), from the characters'
 * toneless readings (`pinyin-table.ts`, every reading of a character with several): a post that
 * spells a seizure report's `警方` as `jing方` keeps its veto as its `ke卡因` keeps its substance.
 *
 * A spelling wholly in pinyin is kept for names of three characters or more only: two syllables say
 * too little (`bingdu` is 冰毒 "meth" and 病毒 "virus", `dama` a name). A spelling that keeps a
 * character cannot be a Latin word, and a Latin end must end its word (`大ma` is not in `大Mac`; see
 * `CompiledPhrase.openEnd`).
 */
import { PINYIN_TABLE } from './pinyin-table.ts';

let table: Map<string, readonly string[]> | undefined;

/** The toneless pinyin readings of a Han character (`ü` as `v` and `u`); none for other characters. */
export function pinyinReadings(ch: string): readonly string[] {
  if (!table) {
    table = new Map();
    for (const entry of PINYIN_TABLE.split('|')) {
      const first = String.fromCodePoint(entry.codePointAt(0) as number);
      table.set(first, entry.slice(first.length).split(','));
    }
  }
  return table.get(ch) ?? [];
}

/** The most spellings one form gets (the first, in order of fewer characters spelled out). */
export const MAX_PINYIN_VARIANTS = 64;
/** Forms with more Han characters than this get no pinyin spellings (2^n mixes). */
const MAX_HAN = 6;
const HAN = /\p{Script=Han}/u;

/**
 * The spellings of `form` (a compiled key: Han characters, maybe Latin letters or digits) with one or
 * more of its Han characters in pinyin, lower-case, without the form itself. At least one character
 * stays unless the form has three or more; at most `MAX_PINYIN_VARIANTS`.
 */
export function pinyinVariants(form: string): string[] {
  const chars = [...form];
  const han = chars.flatMap((ch, i) => (HAN.test(ch) && pinyinReadings(ch).length ? [i] : []));
  const hanCount = chars.filter((ch) => HAN.test(ch)).length;
  if (!han.length || hanCount > MAX_HAN) return [];
  const out = new Set<string>();
  // Subsets of the characters to spell out, by size: the fewest spelled first, so a cap keeps those.
  const subsets: number[][] = [];
  for (let mask = 1; mask < 1 << han.length; mask++) subsets.push(han.filter((_, b) => mask & (1 << b)));
  subsets.sort((a, b) => a.length - b.length);
  for (const spelled of subsets) {
    if (spelled.length === hanCount && hanCount < 3) continue;
    let partial = [''];
    chars.forEach((ch, i) => {
      const options = spelled.includes(i) ? pinyinReadings(ch) : [ch];
      partial = partial.flatMap((p) => options.map((o) => p + o));
    });
    for (const v of partial) {
      if (out.size >= MAX_PINYIN_VARIANTS) return [...out];
      if (v !== form) out.add(v);
    }
  }
  return [...out];
}
