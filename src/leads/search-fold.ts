/**
 * How the lead search compares stored text with a query's words, the same on SQLite and PostgreSQL:
 * lower case, `ё` as `е`, and Latin letters without their diacritics (`é` → `e`, as the trigram index's
 * `remove_diacritics` does). The query's words come folded this way already (the classifier's
 * `formKeys`); where stored text is scanned, it is folded by `spw_search_fold` on SQLite and by
 * `translate(lower(..), SEARCH_FOLD_FROM, SEARCH_FOLD_TO)` on PostgreSQL (SQLite's trigram index,
 * 0011, folds case and diacritics itself).
 */
function foldTable(): [from: string, to: string] {
  let from = 'ё';
  let to = 'е';
  for (let cp = 0xe0; cp <= 0x24f; cp++) {
    const c = String.fromCodePoint(cp);
    if (c !== c.toLowerCase()) continue;
    const base = c.normalize('NFD').replace(/\p{Mn}+$/u, '');
    // ǡ: two marks, which SQLite's `remove_diacritics 1` keeps.
    if (base !== c && /^[a-z]$/.test(base) && c !== 'ǡ') {
      from += c;
      to += base;
    }
  }
  return [from, to];
}

export const [SEARCH_FOLD_FROM, SEARCH_FOLD_TO] = foldTable();

const FOLD = new Map([...SEARCH_FOLD_FROM].map((c, i) => [c, SEARCH_FOLD_TO[i]!]));
const FOLDABLE = new RegExp(`[${SEARCH_FOLD_FROM}]`, 'gu');

/** `s` as the search compares it (see above). */
export function searchFold(s: string): string {
  return s.toLowerCase().replace(FOLDABLE, (c) => FOLD.get(c)!);
}
