import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { commonWordLangs } from './common-words.ts';
import { compileLexicons, formKeys } from './compile.ts';
import { countScripts, dominantScript } from './fold.ts';
import { boundedDistance } from './match.ts';
import { pinyinReadings } from './pinyin.ts';
import {
  CLASS_CATEGORY,
  type LexiconFile,
  lexiconFileSchema,
  type Scoring,
  scoringSchema,
  TERM_GROUPS,
  type TermInput,
  termSchema,
} from './lexicon-schema.ts';
import { stemEn, stemRu } from './stem.ts';
import { LETTERS_ONLY } from './tokenise.ts';
import type { TermGroup } from './types.ts';

/**
 * `spiderweb lexicon lint`: checks lexicon files before they ship. Pure: takes file names and texts,
 * returns findings with file, line, column and field. Errors are what the loader would refuse or what
 * would make the lexicons match everywhere; warnings are what probably does not do what was meant.
 */

export type LintSeverity = 'error' | 'warning';
export type LintCode =
  | 'yaml'
  | 'schema'
  | 'conflict'
  | 'empty-form'
  | 'common-word'
  | 'short-form'
  | 'no-pinyin'
  | 'shadowed'
  | 'duplicate'
  | 'unknown-lang'
  | 'unknown-class';

export interface LintFinding {
  file: string;
  line: number;
  column: number;
  severity: LintSeverity;
  code: LintCode;
  message: string;
  /** Dotted path of the field (`substances.3.forms.1`). */
  field?: string;
}

export interface LintInput {
  file: string;
  text: string;
}

export interface LintResult {
  findings: LintFinding[];
  errors: number;
  warnings: number;
  files: number;
  terms: number;
  forms: number;
}

/** Languages the classifier knows (stemming, suffixes, common words). */
export const LEXICON_LANGS = ['ru', 'kk', 'ky', 'uz', 'uz-cyrl', 'tg', 'zh', 'en', 'any'] as const;
const LANG_HINTS: Record<string, string> = {
  kz: 'kk',
  kg: 'ky',
  kir: 'ky',
  tj: 'tg',
  cn: 'zh',
  ua: 'ru',
  uzb: 'uz',
};

/** Classes of non-substance terms used by the bundled lexicons (free labels, but typos lose the generic cap). */
const KNOWN_CLASSES = new Set(
  (
    'offer commerce stock wholesale quality delivery stealth vendor dead-drop shop-bot messenger bot crypto ' +
    'e-wallet card news campaign treatment medical info-product paraphernalia other-goods hemp innocent ' +
    'merchandise courier production bait job hiring warning chemical intent contact payment recruitment negative ' +
    'messenger-name buyer'
  ).split(' '),
);

/** Weight below which a term is supporting evidence only: a common word there is a warning, not an error. */
const WEAK_WEIGHT = 0.2;
const HAN = /\p{Script=Han}/u;

interface Parsed {
  file: string;
  doc: Document;
  lc: LineCounter;
  data: LexiconFile | null;
}

interface Entry {
  file: string;
  groupName: (typeof TERM_GROUPS)[number];
  group: TermGroup;
  index: number;
  input: TermInput;
  lang: string;
  weight: number;
}

interface FormRef {
  entry: Entry;
  form: string;
  fi: number;
  key: string;
}

/** Lints lexicon files (each `{file, text}`); see the module comment. */
export function lintLexicons(inputs: LintInput[]): LintResult {
  const findings: LintFinding[] = [];
  const parsed: Parsed[] = [];
  const entries: Entry[] = [];
  const add: Add = (p, path, severity, code) => (message) => {
    const { line, column } = position(p, path);
    const f: LintFinding = { file: p.file, line, column, severity, code, message };
    if (path.length) f.field = path.join('.');
    findings.push(f);
  };

  for (const { file, text } of inputs) {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    const p: Parsed = { file, doc, lc, data: null };
    parsed.push(p);
    if (doc.errors.length) {
      for (const err of doc.errors) {
        const { line, col: column } = lc.linePos(yamlErrorOffset(text, err.pos[0]));
        const message = `invalid YAML: ${err.message.split('\n')[0]}`;
        findings.push({ file, line, column, severity: 'error', code: 'yaml', message });
      }
      continue;
    }
    const raw: unknown = doc.toJS() ?? {};
    const result = lexiconFileSchema.safeParse(raw);
    if (result.success) p.data = result.data;
    else
      for (const issue of result.error.issues)
        add(p, issue.path.map(pathPart), 'error', 'schema')(issue.message);
    // Terms that are valid on their own are still checked against the others.
    const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const fileLang = p.data?.lang ?? (typeof obj.lang === 'string' ? obj.lang : 'en');
    if (!LEXICON_LANGS.includes(fileLang as never)) {
      add(p, ['lang'], 'error', 'unknown-lang')(unknownLang(fileLang));
    }
    for (const groupName of TERM_GROUPS) {
      const list = p.data
        ? p.data[groupName]
        : Array.isArray(obj[groupName])
          ? (obj[groupName] as unknown[])
          : [];
      list.forEach((item, index) => {
        const t = p.data ? { success: true as const, data: item as TermInput } : termSchema.safeParse(item);
        if (!t.success) return;
        const input = t.data;
        entries.push({
          file,
          groupName,
          group: (groupName === 'substances' ? 'substance' : groupName) as TermGroup,
          index,
          input,
          lang: input.lang ?? fileLang,
          weight: input.weight ?? Number.NaN,
        });
      });
    }
  }

  const byFile = new Map(parsed.map((p) => [p.file, p]));
  const scoring = fileScoring(parsed, add);
  const refs: FormRef[] = [];
  for (const e of entries) {
    const p = byFile.get(e.file)!;
    const at = (...rest: Array<string | number>) => [e.groupName, e.index, ...rest];
    if (Number.isNaN(e.weight)) e.weight = scoring.defaultWeights[e.group];
    if (e.input.lang !== undefined && !LEXICON_LANGS.includes(e.input.lang as never)) {
      add(p, at('lang'), 'error', 'unknown-lang')(unknownLang(e.input.lang));
    }
    checkClass(e, p, add, at);
    e.input.forms.forEach((form, fi) => {
      const keys = formKeys(form);
      const key = keys.join('');
      if (!key) {
        add(
          p,
          at('forms', fi),
          'error',
          'empty-form',
        )(`form "${form}" normalises to nothing (no letters, digits or emoji): it can never match`);
        return;
      }
      refs.push({ entry: e, form, fi, key });
      const han = HAN.test(key);
      const common = han
        ? commonWordLangs(key)
        : keys.every((k) => commonWordLangs(k).length > 0)
          ? commonWordLangs(keys[0]!)
          : [];
      if (common.length) {
        const same = e.lang === 'any' || common.includes(e.lang.replace('-cyrl', ''));
        // A single common word matches everywhere; a phrase of common words only often.
        const severity: LintSeverity =
          same && keys.length === 1 && e.weight >= WEAK_WEIGHT ? 'error' : 'warning';
        add(
          p,
          at('forms', fi),
          severity,
          'common-word',
        )(
          `form "${form}" ${keys.length === 1 ? 'is one of' : 'is made of'} the most common ${common.join('/')} words: it would match ${keys.length === 1 ? 'nearly every' : 'many a'} text${same ? '' : ` in ${common.join('/')}`} (weight ${e.weight}); use a phrase with context or drop it`,
        );
      } else if (
        keys.length === 1 &&
        ((LETTERS_ONLY.test(key) && !han && [...key].length <= 2) || (han && [...key].length === 1))
      ) {
        add(
          p,
          at('forms', fi),
          'warning',
          'short-form',
        )(
          `form "${form}" is only ${[...key].length} ${han ? 'character' : 'letters'}: it matches ${han ? 'inside any Chinese text that has it' : 'that word anywhere'}, with no context; use a phrase with context or a longer form`,
        );
      }
      // Its spellings half in pinyin need every character's reading.
      const unread = han
        ? [...new Set([...key].filter((ch) => HAN.test(ch) && !pinyinReadings(ch).length))]
        : [];
      if (unread.length) {
        add(
          p,
          at('forms', fi),
          'warning',
          'no-pinyin',
        )(
          `form "${form}": no pinyin reading for ${unread.join(' ')}, so the form is not found with ${unread.length === 1 ? 'it' : 'them'} spelled in pinyin; \`npx tsx test/dev/generate-pinyin.ts\` adds the readings of the lexicons' characters`,
        );
      }
    });
  }
  checkCollisions(refs, byFile, add);
  checkDuplicateTerms(entries, byFile, add);

  // Safety net: whatever the compiler still refuses is an error too.
  if (!findings.some((f) => f.severity === 'error')) {
    try {
      compileLexicons(parsed.filter((p) => p.data).map((p) => ({ file: p.file, data: p.data! })));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const p = byFile.get(err.file);
      const path = err.field ? err.field.split('.').map(pathPart) : [];
      if (p) add(p, path, 'error', 'conflict')(err.message.replace(/^.*?: /, ''));
    }
  }

  const order = new Map(inputs.map((f, i) => [f.file, i]));
  findings.sort((a, b) => order.get(a.file)! - order.get(b.file)! || a.line - b.line || a.column - b.column);
  return {
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    files: inputs.length,
    terms: entries.length,
    forms: entries.reduce((n, e) => n + e.input.forms.length, 0),
  };
}

/** `file:line:col: error|warning: message (field)`. */
export function formatFinding(f: LintFinding): string {
  return `${f.file}:${f.line}:${f.column}: ${f.severity}: ${f.message}${f.field ? ` (${f.field})` : ''}`;
}

/** Reports a finding at `path` of file `p`: `add(p, path, severity, code)(message)`. */
type Add = (
  p: Parsed,
  path: Array<string | number>,
  severity: LintSeverity,
  code: LintCode,
) => (message: string) => void;

function fileScoring(parsed: Parsed[], add: Add): Scoring {
  let from: string | undefined;
  let scoring: Scoring | undefined;
  for (const p of parsed) {
    if (!p.data?.scoring) continue;
    if (from !== undefined)
      add(p, ['scoring'], 'error', 'conflict')(`scoring is already set in ${from}; set it in one file only`);
    else {
      from = p.file;
      scoring = p.data.scoring;
    }
  }
  return scoring ?? scoringSchema.parse({});
}

function checkClass(
  e: Entry,
  p: Parsed,
  add: Add,
  at: (...rest: Array<string | number>) => Array<string | number>,
): void {
  const cls = e.input.class ?? e.group;
  if (e.group === 'substance') {
    if (!e.input.category && !CLASS_CATEGORY[cls] && cls !== 'generic') {
      const known = Object.keys(CLASS_CATEGORY);
      add(
        p,
        at('class'),
        'error',
        'unknown-class',
      )(
        `unknown substance class "${cls}"${hint(cls, known)}: set category, use generic, or one of: ${known.join(', ')}`,
      );
    }
    return;
  }
  if (e.input.category) add(p, at('category'), 'error', 'conflict')('category is only allowed on substances');
  if (!KNOWN_CLASSES.has(cls)) {
    add(
      p,
      at('class'),
      'warning',
      'unknown-class',
    )(
      `unknown ${e.group} class "${cls}"${hint(cls, [...KNOWN_CLASSES])} (a new label is fine if meant; generic classes are capped by scoring.genericClasses)`,
    );
  }
}

function checkCollisions(refs: FormRef[], byFile: Map<string, Parsed>, add: Add): void {
  const where = (r: FormRef) => {
    const p = byFile.get(r.entry.file)!;
    const { line } = position(p, [r.entry.groupName, r.entry.index, 'forms', r.fi]);
    return `${r.entry.file}:${line}`;
  };
  const at = (r: FormRef) => [r.entry.groupName, r.entry.index, 'forms', r.fi];
  const byKey = new Map<string, FormRef[]>();
  for (const r of refs) {
    const list = byKey.get(r.key) ?? [];
    list.push(r);
    byKey.set(r.key, list);
  }
  for (const list of byKey.values()) {
    for (let i = 1; i < list.length; i++) {
      const r = list[i]!;
      const p = byFile.get(r.entry.file)!;
      for (const prev of list.slice(0, i)) {
        const same = prev.entry.input.term.toLowerCase() === r.entry.input.term.toLowerCase();
        if (prev.entry.group === r.entry.group) {
          // Spelling variants of one entry (`vacuum sealed`, `vacuum-sealed`) and the same name in two
          // languages at one weight are harmless; a second weight that never counts is not.
          const sameEntry = prev.entry === r.entry;
          const dead = prev.entry.lang === r.entry.lang || prev.entry.weight !== r.entry.weight;
          if (same && (sameEntry || !dead)) break;
          if (same)
            add(
              p,
              at(r),
              'warning',
              'duplicate',
            )(
              `duplicate: form "${r.form}" of "${r.entry.input.term}" is already listed at ${where(prev)} (weights ${prev.entry.weight} and ${r.entry.weight}: the higher counts)`,
            );
          else
            add(
              p,
              at(r),
              'error',
              'shadowed',
            )(
              `form "${r.form}" means "${r.entry.input.term}" here but "${prev.entry.input.term}" at ${where(prev)}: one form, one ${r.entry.group} term`,
            );
          break;
        }
        const neg = prev.entry.group === 'negative' ? prev : r.entry.group === 'negative' ? r : null;
        if (neg) {
          const pos = neg === prev ? r : prev;
          add(
            p,
            at(r),
            'warning',
            'shadowed',
          )(
            `form "${pos.form}" of ${pos.entry.group} term "${pos.entry.input.term}" is shadowed by negative term "${neg.entry.input.term}" (${where(prev)}): the negative match cancels it, so it never counts`,
          );
        } else {
          add(
            p,
            at(r),
            'warning',
            'shadowed',
          )(
            `form "${r.form}" is claimed by ${r.entry.group} "${r.entry.input.term}" and by ${prev.entry.group} "${prev.entry.input.term}" at ${where(prev)}: both count`,
          );
        }
        break;
      }
    }
  }
  // Inflected forms: two terms of one group whose forms share a stem both match the inflections.
  const byStem = new Map<string, FormRef>();
  for (const r of refs) {
    const { input, group, lang } = r.entry;
    if (input.match !== 'stem' || r.key.length < 4 || !LETTERS_ONLY.test(r.key)) continue;
    const script = dominantScript(countScripts(r.key));
    const stem =
      script === 'latin'
        ? `en:${stemEn(r.key)}`
        : script === 'cyrillic' && lang === 'ru'
          ? `ru:${stemRu(r.key)}`
          : null;
    if (!stem) continue;
    const k = `${group}\u0000${stem}`;
    const prev = byStem.get(k);
    if (!prev) byStem.set(k, r);
    else if (prev.entry.input.term.toLowerCase() !== input.term.toLowerCase() && prev.key !== r.key) {
      add(
        byFile.get(r.entry.file)!,
        at(r),
        'warning',
        'shadowed',
      )(
        `inflections of "${r.form}" ("${input.term}") and "${prev.form}" ("${prev.entry.input.term}", ${where(prev)}) share the stem "${stem.slice(3)}": such words count for both; use match: exact on one`,
      );
    }
  }
}

function checkDuplicateTerms(entries: Entry[], byFile: Map<string, Parsed>, add: Add): void {
  const first = new Map<string, Entry>();
  for (const e of entries) {
    const k = `${e.group}\u0000${e.input.term.toLowerCase()}\u0000${e.lang}`;
    const prev = first.get(k);
    if (!prev) first.set(k, e);
    else if (prev.file !== e.file) {
      const line = position(byFile.get(prev.file)!, [prev.groupName, prev.index]).line;
      add(
        byFile.get(e.file)!,
        [e.groupName, e.index, 'term'],
        'warning',
        'duplicate',
      )(
        `duplicate term: "${e.input.term}" (${e.group}, ${e.lang}) is also defined in ${prev.file}:${line}; keep one language's forms of a term in one file`,
      );
    }
  }
}

function position(p: Parsed, path: Array<string | number>): { line: number; column: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = p.doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = p.lc.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

function pathPart(x: PropertyKey): string | number {
  return typeof x === 'number' || (typeof x === 'string' && /^\d+$/.test(x)) ? Number(x) : String(x);
}

function unknownLang(lang: string): string {
  const guess = LANG_HINTS[lang];
  return `unknown language "${lang}"${guess ? ` (did you mean ${guess}?)` : ''}: use one of ${LEXICON_LANGS.join(', ')}`;
}

/** ` (did you mean x?)` for the closest of `known` within two edits. */
function hint(word: string, known: string[]): string {
  const best = known
    .map((k) => ({ k, d: boundedDistance(word, k, 2) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)[0];
  return best ? ` (did you mean ${best.k}?)` : '';
}

/**
 * Where a YAML syntax error should point: the parser reports an unclosed flow collection (`[a, b` or
 * `{a: 1`) where it gave up, lines later or at the end of the file; this finds the unclosed `[` or `{`
 * before `offset` (outside quotes and comments) and returns its offset, else `offset`.
 */
export function yamlErrorOffset(text: string, offset: number): number {
  const open: number[] = [];
  let quote = '';
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    // A quote opens a quoted scalar only where a value starts (not the apostrophe of `don't`).
    if ((c === '"' || c === "'") && (i === 0 || /[\s:[{,-]/.test(text[i - 1] ?? ''))) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      while (i < offset && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') open.push(i);
    else if ((c === ']' || c === '}') && open.length) open.pop();
  }
  const first = open[0];
  return first !== undefined && text.lastIndexOf('\n', offset - 1) > first ? first : offset;
}
