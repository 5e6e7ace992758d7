import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.ts';
import { Automaton } from './automaton.ts';
import { Memo } from './memo.ts';
import {
  countScripts,
  cyrToLat,
  dominantScript,
  foldHomoglyphs,
  LAT_TO_CYR,
  leetVariants,
  phraseReading,
} from './fold.ts';
import {
  CLASS_CATEGORY,
  type LexiconFile,
  type Scoring,
  scoringSchema,
  TERM_GROUPS,
  type TermInput,
} from './lexicon-schema.ts';
import { normaliseText } from './normalise.ts';
import { pinyinVariants } from './pinyin.ts';
import { stemEn, stemRu } from './stem.ts';
import { LETTERS_ONLY, tokenise } from './tokenise.ts';
import type { CompiledLexicons, CompiledTerm, FuzzyForm, PhrasePattern, TermGroup } from './types.ts';
import type { z } from 'zod';

/** Shortest stem registered for stem matching (shorter ones would match unrelated words). */
const MIN_STEM = 4;

/**
 * Tokens the lexicon layer keeps analysed: `Memo`'s two maps of this many each, so a site's everyday
 * words stay while the article codes and handles met once pass through. The model keeps as many
 * (`SCORED_MEMO`). Cleared when full at 30,000 (and the model's 40,000), a 50,000-listing crawl of a
 * market written as sellers write peaked at 271 MB; with these and the models' sparse weights, at 247
 * MB, for no CPU lost (`test/bench/crawl.ts --market lead-heavy`, see the README's *Development*).
 */
export const TOKEN_MEMO = 10_000;
/** Size of the direct-mapped token cache (a power of two). */
export const TOKEN_SLOTS = 8192;

/** Options for `compileLexicons`. */
export interface CompileOptions {
  /** Scoring parameters; override any `scoring` block in the files. */
  scoring?: z.input<typeof scoringSchema>;
}

const GROUP_OF: Record<(typeof TERM_GROUPS)[number], TermGroup> = {
  substances: 'substance',
  intent: 'intent',
  contact: 'contact',
  payment: 'payment',
  recruitment: 'recruitment',
  negative: 'negative',
};
const HAN = /\p{Script=Han}/u;
const DIGIT = /\d/;
const APOS = /['’‘`ʼʻ]/g;
/**
 * Latin letters with Russian lookalikes, for `4-ММС`-style chemical names: the homoglyph table less
 * `i`, whose lookalike (Ukrainian/Kazakh `і`) never stands in a Russian chemical name.
 */
const LAT_CYR_LOOK: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(LAT_TO_CYR).filter(([latin]) => latin !== 'i'),
);

/** Folds one form the way text tokens are folded; returns its token keys. */
export function formKeys(form: string): string[] {
  return tokenise(normaliseText(form).text).map((t) => {
    const counts = countScripts(t.text);
    return counts.latin > 0 && counts.cyrillic > 0 ? foldHomoglyphs(t.text, dominantScript(counts)) : t.text;
  });
}

/**
 * The ways a chemical name is written: `alpha`/`a` prefixes and, unless `lookalikes` is false (the
 * term's `translit: false`), the name in Cyrillic look-alike letters (`4-ммс` for `4-mmc`: how Russian
 * keyboards write it). Without them `4-mec` stays out of `4 мес` ("4 months").
 */
function chemicalVariants(pattern: string, lookalikes: boolean): string[] {
  const out = new Set([pattern]);
  if (pattern.includes('alpha')) out.add(pattern.replace('alpha', 'a'));
  else if (/^a(?=[a-z]{3})/.test(pattern)) out.add(`alpha${pattern.slice(1)}`);
  if (!lookalikes) return [...out];
  for (const p of [...out]) {
    if (/[a-z]/.test(p) && [...p].every((ch) => !/[a-z]/.test(ch) || LAT_CYR_LOOK[ch] !== undefined)) {
      out.add([...p].map((ch) => LAT_CYR_LOOK[ch] ?? ch).join(''));
    }
  }
  return [...out];
}

/** A letter and a digit side by side in a form, with what stands between them. */
const JUNCTION = /(?<=\p{L})([^\p{L}\p{N}]*)(?=\p{N})|(?<=\p{N})([^\p{L}\p{N}]*)(?=\p{L})/gu;

/**
 * Whether a form writes a code: a letter and a digit together or across one hyphen (`K2`, `W-15`,
 * `3-MMC`, `2C-B`), and nowhere across more (`Лирика 300`, `#4 heroin` are words and a number).
 */
export function tightCode(form: string): boolean {
  let junctions = 0;
  for (const m of form.matchAll(JUNCTION)) {
    const gap = m[1] ?? m[2] ?? '';
    if (gap !== '' && !HYPHEN.test(gap)) return false;
    junctions++;
  }
  return junctions > 0;
}
const HYPHEN = /^[-‐‑‒–]$/;

/** Each `hidable` form of letters only with one inner letter a star (`мефедр*н`), to what it reads as. */
function maskedForms(
  exact: ReadonlyMap<string, readonly number[]>,
  hidable: ReadonlySet<number>,
): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (const [form, terms] of exact) {
    if (form.length < 3 || !LETTERS_ONLY.test(form)) continue;
    const strong = terms.filter((t) => hidable.has(t));
    if (strong.length === 0) continue;
    for (let p = 1; p < form.length - 1; p++) {
      const key = `${form.slice(0, p)}*${form.slice(p + 1)}`;
      const list = index.get(key);
      if (list === undefined) index.set(key, [...strong]);
      else for (const t of strong) if (!list.includes(t)) list.push(t);
    }
  }
  return index;
}

/**
 * Compiles validated lexicon files into one matcher: a hash map over exact forms and stems, an
 * Aho-Corasick automaton over phrases, chemical names and Chinese, and fuzzy candidates.
 * Semantic problems (a form meaning two different terms, a substance without a category, two
 * files setting `scoring`) throw `ConfigError` naming the file and field.
 */
export function compileLexicons(
  files: Array<{ file: string; data: LexiconFile }>,
  options: CompileOptions = {},
): CompiledLexicons {
  const terms: CompiledTerm[] = [];
  const termIds = new Map<string, number>();
  const exact = new Map<string, number[]>();
  const stems = new Map<string, number[]>();
  const patternIndex = new Map<string, number>();
  const patterns: string[] = [];
  const phrases: Array<{
    terms: number[];
    cyrOnly: boolean[];
    bounded: boolean;
    openEnd: boolean;
    tight: boolean;
  }> = [];
  const fuzzy = new Map<string, FuzzyForm[]>();
  const formOwner = new Map<string, { term: string; file: string }>();
  const units = new Set<string>();
  const countUnits = new Set<string>();
  const currencies = new Set<string>();
  const multipliers = new Set<string>();
  const explainChecks: Array<{ file: string; field: string; name: string }> = [];
  let scoringFrom: string | undefined;
  let fileScoring: Scoring | undefined;

  const add = (map: Map<string, number[]>, key: string, id: number) => {
    const list = map.get(key);
    if (!list) map.set(key, [id]);
    else if (!list.includes(id)) list.push(id);
  };
  const addPattern = (pattern: string, id: number, bounded: boolean, cyrOnly: boolean, tight: boolean) => {
    let idx = patternIndex.get(pattern);
    if (idx === undefined) {
      idx = patterns.length;
      patternIndex.set(pattern, idx);
      patterns.push(pattern);
      phrases.push({ terms: [], cyrOnly: [], bounded, openEnd: HAN.test(pattern.slice(-1)), tight });
    }
    const ph = phrases[idx]!;
    const at = ph.terms.indexOf(id);
    if (at < 0) {
      ph.terms.push(id);
      ph.cyrOnly.push(cyrOnly);
    } else if (!cyrOnly) ph.cyrOnly[at] = false;
    if (!bounded) ph.bounded = false;
    if (!tight) ph.tight = false;
  };

  for (const { file, data } of files) {
    if (data.scoring) {
      if (scoringFrom !== undefined) {
        throw new ConfigError(file, `scoring is already set in ${scoringFrom}; set it in one file only`, {
          field: 'scoring',
        });
      }
      scoringFrom = file;
      fileScoring = data.scoring;
    }
    const q = data.quantities;
    if (q) {
      for (const u of q.units) units.add(quantityKey(u));
      for (const u of q.countUnits) countUnits.add(quantityKey(u));
      for (const c of q.currencies) currencies.add(quantityKey(c));
      for (const m of q.multipliers) multipliers.add(quantityKey(m));
    }
    for (const groupName of TERM_GROUPS) {
      const group = GROUP_OF[groupName];
      data[groupName].forEach((input: TermInput, index: number) => {
        const field = `${groupName}.${index}`;
        const id = termFor(input, group, file, field, data.lang);
        for (const [ei, name] of (input.explains ?? []).entries())
          explainChecks.push({ file, field: `${field}.explains.${ei}`, name: name.toLowerCase() });
        for (const [fi, form] of input.forms.entries()) {
          const keys = formKeys(form);
          if (keys.length === 0) {
            throw new ConfigError(file, `form "${form}" has no letters, digits or emoji`, {
              field: `${field}.forms.${fi}`,
            });
          }
          const joined = keys.join('');
          const ownerKey = `${group}\u0000${joined}`;
          const owner = formOwner.get(ownerKey);
          const term = terms[id]!;
          if (owner && owner.term !== term.term) {
            throw new ConfigError(
              file,
              `form "${form}" already means "${owner.term}" (${owner.file}); one form, one ${group} term`,
              { field: `${field}.forms.${fi}` },
            );
          }
          formOwner.set(ownerKey, { term: term.term, file });
          const single = keys.length === 1 && !DIGIT.test(joined) && !HAN.test(joined);
          if (single) {
            add(exact, joined, id);
            const counts = countScripts(joined);
            const script = dominantScript(counts);
            const stemmable = input.match === 'stem' && joined.length >= 4 && LETTERS_ONLY.test(joined);
            // Stems of under four letters match too much (Russian Porter makes `опий` and `опыт`
            // both `оп`): such forms match exactly.
            const stem =
              !stemmable || (script === 'cyrillic' && term.lang !== 'ru')
                ? undefined
                : script === 'latin'
                  ? `en:${stemEn(joined)}`
                  : script === 'cyrillic'
                    ? `ru:${stemRu(joined)}`
                    : undefined;
            if (stem !== undefined && stem.length >= 3 + MIN_STEM) add(stems, stem, id);
            const allowFuzzy = input.fuzzy ?? group === 'substance';
            if (allowFuzzy && joined.length >= 8 && LETTERS_ONLY.test(joined)) {
              const list = fuzzy.get(joined[0]!) ?? [];
              list.push({ key: joined, term: id });
              fuzzy.set(joined[0]!, list);
            }
          } else {
            const variants =
              DIGIT.test(joined) || group === 'substance'
                ? chemicalVariants(joined, input.translit)
                : [joined];
            // A Chinese form half (or, from three characters, wholly) in pinyin: `ke卡因`, `ke ka yin`.
            if (HAN.test(joined))
              for (const v of pinyinVariants(joined))
                if (!formOwner.has(`${group}\u0000${v}`)) variants.push(v);
            // A one-word form with digits is also listed as text reads it (`m30s` is read `meos`).
            if (keys.length === 1 && DIGIT.test(joined)) {
              const counts = countScripts(joined);
              const script = dominantScript(counts);
              const read = phraseReading(joined, leetVariants(joined, script, counts));
              if (!variants.includes(read)) variants.push(read);
            }
            // Phrases are searched in Latin letters (Cyrillic transliterated, text and forms alike), so
            // `закладка`, `zakladka` and half-transliterated phrases meet one pattern in one pass. A
            // Cyrillic form that must not match Latin text (`translit: false`, or short ones:
            // `а-пгп` → `apgp` is "a PGP") only matches text written in Cyrillic.
            const tight = tightCode(form);
            for (const v of variants) {
              const bounded = !HAN.test(v);
              if (countScripts(v).cyrillic === 0) addPattern(v, id, bounded, false, tight);
              else addPattern(cyrToLat(v), id, bounded, !(input.translit && v.length > 4), tight);
            }
          }
        }
      });
    }
  }

  const substanceNames = new Set(
    terms.filter((t) => t.group === 'substance').map((t) => t.term.toLowerCase()),
  );
  for (const { file, field, name } of explainChecks) {
    if (!substanceNames.has(name)) {
      throw new ConfigError(file, `explains "${name}", which is not the canonical name of any substance`, {
        field,
      });
    }
  }

  let scoring: Scoring;
  const merged = { ...(fileScoring ?? {}), ...(options.scoring ?? {}) };
  const parsed = scoringSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(scoringFrom ?? 'compile options', issue.message, {
      field: ['scoring', ...issue.path.map(String)].join('.'),
    });
  }
  scoring = parsed.data;
  // Default weights apply to terms that set none.
  for (const t of terms as Array<{ weight: number; group: TermGroup }>) {
    if (Number.isNaN(t.weight)) t.weight = scoring.defaultWeights[t.group];
  }

  const hidable = new Set<number>();
  for (let id = 0; id < terms.length; id++) {
    const t = terms[id]!;
    if (
      t.weight > scoring.explainMaxWeight &&
      (t.group === 'substance' || t.group === 'recruitment' || t.class === 'dead-drop')
    )
      hidable.add(id);
  }

  const version = createHash('sha256')
    .update(JSON.stringify({ files: files.map((f) => [f.file.split(/[\\/]/).pop(), f.data]), options }))
    .digest('hex')
    .slice(0, 12);

  return {
    version,
    terms,
    scoring,
    files: files.map((f) => f.file),
    exact,
    stems,
    automaton: new Automaton(patterns),
    phrases: phrases as PhrasePattern[],
    fuzzy,
    hidable,
    masked: maskedForms(exact, hidable),
    units,
    countUnits,
    currencies,
    multipliers,
    classes: {
      generic: new Set(scoring.genericClasses),
      reported: new Set(scoring.reportedClasses),
      goods: new Set(scoring.goodsClasses),
    },
    tokenCache: new Memo(TOKEN_MEMO),
    tokenSlots: new Array(TOKEN_SLOTS),
  };

  function termFor(
    input: TermInput,
    group: TermGroup,
    file: string,
    field: string,
    fileLang: string,
  ): number {
    const lang = input.lang ?? fileLang;
    let category = null;
    const cls = input.class ?? group;
    if (group === 'substance') {
      category = input.category ?? CLASS_CATEGORY[cls] ?? null;
      if (!category && cls !== 'generic') {
        throw new ConfigError(
          file,
          `substance "${input.term}" has class "${cls}" with no known category; set category or use one of: ${Object.keys(CLASS_CATEGORY).join(', ')}`,
          { field: `${field}.class` },
        );
      }
    } else if (input.category) {
      throw new ConfigError(file, 'category is only allowed on substances', { field: `${field}.category` });
    }
    if (input.explains && group !== 'negative') {
      throw new ConfigError(file, 'explains is only allowed on negative terms', {
        field: `${field}.explains`,
      });
    }
    const key = `${group}\u0000${input.term.toLowerCase()}`;
    const existing = termIds.get(key);
    if (existing !== undefined) {
      const prev = terms[existing]!;
      if (group === 'substance' && prev.category !== category) {
        throw new ConfigError(
          file,
          `substance "${input.term}" is ${category} here but ${prev.category} in ${prev.file}`,
          { field: `${field}.category` },
        );
      }
      // Same canonical term in another file or language: a separate entry (own weight, lang),
      // counted once when scoring because scoring keys on the canonical name.
    }
    const id = terms.length;
    terms.push({
      id,
      group,
      term: input.term,
      class: cls,
      category,
      weight: input.weight ?? Number.NaN,
      lang,
      file,
      translit: input.translit,
      explains: (input.explains ?? []).map((t) => t.toLowerCase()),
      ...(input.gloss ? { gloss: input.gloss } : {}),
    });
    if (existing === undefined) termIds.set(key, id);
    return id;
  }
}

/** Key for a unit, currency or multiplier: normalised, apostrophes dropped. */
export function quantityKey(word: string): string {
  return normaliseText(word.trim()).text.replace(APOS, '');
}
