/**
 * The queue's search reads words as the classifier does: normalised (case, Unicode forms, letter
 * spacing, homoglyphs, leetspeak folded by `formKeys`), stemmed (`мефедрона` → `мефедрон`) and
 * transliterated (`mefedrona` → `мефедрон`, `закладка` → `zakladk`). Each word becomes the set of
 * stems any of whose forms the stored text may hold; the stored fields (title, substances, identifier
 * values; the page text on request) are searched by substring on both dialects (`queue-filter.ts`), so a
 * stem finds every ending.
 */
import { cyrToLat, formKeys, latToCyr, stemEn, stemRu } from '../classify/index.ts';

const CYRILLIC = /\p{Script=Cyrillic}/u;
const LATIN = /^[a-z0-9]+$/;
/** Shorter stems match too much of any text: the word is kept as typed instead. */
const MIN_STEM = 4;

/** Alternatives for one folded token (a `formKeys` key), longest first. */
function variants(key: string): string[] {
  const out = new Set<string>();
  /** The stem when it is long enough to be specific, else the word as it is. */
  const add = (word: string, stem: string) => {
    const v = [...stem].length >= MIN_STEM ? stem : word;
    if ([...v].length >= 2) out.add(v);
  };
  if ([...key].length < 3)
    add(key, key); // too short to transliterate without matching noise
  else if (CYRILLIC.test(key)) {
    add(key, stemRu(key));
    const lat = cyrToLat(key);
    add(lat, cyrToLat(stemRu(key)));
    add(lat, stemEn(lat));
  } else if (LATIN.test(key)) {
    add(key, stemEn(key));
    const cyr = latToCyr(key);
    if (cyr) {
      add(cyr, stemRu(cyr));
      add(key, cyrToLat(stemRu(cyr)));
    }
  } else add(key, key);
  // A variant that contains another finds nothing more: keep the shorter.
  const all = [...out];
  return all.filter((v) => !all.some((w) => w !== v && v.includes(w))).sort((a, b) => b.length - a.length);
}

/**
 * The search as groups of alternatives: a lead matches when its text holds one alternative of every
 * group. One group per token of the query as the classifier tokenises it (`альфа-PVP` is two), at most 10.
 */
export function searchWords(q: string): string[][] {
  return formKeys(q)
    .slice(0, 10)
    .map(variants)
    .filter((v) => v.length > 0);
}
