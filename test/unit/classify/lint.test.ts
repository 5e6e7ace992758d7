import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFinding, type LintResult, lintLexicons } from '../../../src/classify/index.ts';
import { repoRoot, tempDir } from '../../helpers/runtime.ts';

/** Writes the files to a temp dir and lints them as `spiderweb lexicon lint` reads them. */
function lintFiles(dir: string, files: Record<string, string>): LintResult {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const names = Object.keys(files).sort();
  return lintLexicons(names.map((n) => ({ file: join(dir, n), text: readFileSync(join(dir, n), 'utf8') })));
}

const HEAD = 'lang: ru\n';

describe('lexicon lint', () => {
  let tmp: ReturnType<typeof tempDir>;
  let n = 0;
  /** A fresh dir per case, so files of one case never meet another's. */
  const lint = (files: Record<string, string>) => {
    const dir = join(tmp.path, `case-${n++}`);
    mkdirSync(dir);
    const result = lintFiles(dir, files);
    return { result, dir, lines: result.findings.map((f) => formatFinding(f).replace(`${dir}/`, '')) };
  };

  beforeAll(() => {
    tmp = tempDir('spiderweb-lint-');
  });
  afterAll(() => tmp?.remove());

  it('passes good lexicons, and the bundled ones have no errors', () => {
    const { result } = lint({
      'a.yaml': `${HEAD}substances:\n  - { term: mephedrone, class: cathinone, weight: 0.9, forms: [мефедрон, меф] }\n`,
    });
    expect(result).toMatchObject({ errors: 0, warnings: 0, files: 1, terms: 1, forms: 2 });
    const dir = join(repoRoot, 'config/lexicons');
    const bundled = lintLexicons(
      readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') })),
    );
    expect(bundled.findings.filter((f) => f.severity === 'error').map(formatFinding)).toEqual([]);
  });

  it('YAML syntax errors with line and column', () => {
    const { lines } = lint({ 'a.yaml': `${HEAD}substances:\n  - { term: x, forms: [a\n` });
    expect(lines[0]).toMatch(/^a\.yaml:\d+:\d+: error: invalid YAML: /);
  });

  it('an unclosed flow sequence is reported on the line where it opens, not where the parser gave up', () => {
    const { lines } = lint({
      'a.yaml': `${HEAD}substances:\n  - { term: x, class: c, weight: 0.5, forms: [x] }\nbroken: [unclosed\nmore: 1\nlast: 2\n`,
    });
    expect(lines[0]).toMatch(/^a\.yaml:4:9: error: invalid YAML: Flow sequence/);
    // Brackets in quotes and comments, and an apostrophe in a plain word, do not count.
    const { lines: quoted } = lint({
      'a.yaml': `${HEAD}# a [comment\nnote: "it's [not"\nword: don't\nbroken: {x: 1\nmore: 1\n`,
    });
    expect(quoted[0]).toMatch(/^a\.yaml:5:9: error: invalid YAML: Flow map/);
  });

  it('every schema error with file:line:col and the field', () => {
    const { lines, result } = lint({
      'a.yaml': `${HEAD}substances:\n  - term: mephedrone\n    class: cathinone\n    weight: 1.5\n    forms: [мефедрон]\n    colour: red\n`,
    });
    expect(result.errors).toBe(2);
    expect(lines).toEqual([
      'a.yaml:3:5: error: Unrecognized key: "colour" (substances.0)',
      'a.yaml:5:13: error: Too big: expected number to be <=1 (substances.0.weight)',
    ]);
  });

  it('a form that normalises to nothing', () => {
    const { lines } = lint({
      'a.yaml': `${HEAD}intent:\n  - { term: dead drop, forms: [закладка, "\u200b—"] }\n`,
    });
    expect(lines).toEqual([
      'a.yaml:3:42: error: form "\u200b—" normalises to nothing (no letters, digits or emoji): it can never match (intent.0.forms.1)',
    ]);
  });

  it('a form that is a very common word: error in its language, warning in another or when weak', () => {
    const { lines } = lint({
      'a.yaml':
        `${HEAD}substances:\n` +
        '  - { term: mephedrone, class: cathinone, weight: 0.9, forms: [мефедрон, это] }\n' +
        '  - { term: cannabis, class: cannabis, weight: 0.3, lang: uz-cyrl, forms: [наша] }\n' +
        'intent:\n  - { term: shop words, class: commerce, weight: 0.1, forms: [все] }\n' +
        '  - { term: offer, class: offer, weight: 0.4, lang: en, forms: [how to] }\n',
    });
    expect(lines).toEqual([
      'a.yaml:3:74: error: form "это" is one of the most common ru words: it would match nearly every text (weight 0.9); use a phrase with context or drop it (substances.0.forms.1)',
      'a.yaml:4:76: warning: form "наша" is one of the most common ru words: it would match nearly every text in ru (weight 0.3); use a phrase with context or drop it (substances.1.forms.0)',
      'a.yaml:6:63: warning: form "все" is one of the most common ru words: it would match nearly every text (weight 0.1); use a phrase with context or drop it (intent.0.forms.0)',
      'a.yaml:7:65: warning: form "how to" is made of the most common en words: it would match many a text (weight 0.4); use a phrase with context or drop it (intent.1.forms.0)',
    ]);
  });

  it('a two-letter form without context, and a single Chinese character', () => {
    const { lines } = lint({
      'a.yaml': `${HEAD}substances:\n  - { term: mephedrone, class: cathinone, forms: [мф] }\n  - { term: methamphetamine, class: ats, lang: zh, forms: [冰, 冰毒] }\n`,
    });
    expect(lines).toEqual([
      'a.yaml:3:51: warning: form "мф" is only 2 letters: it matches that word anywhere, with no context; use a phrase with context or a longer form (substances.0.forms.0)',
      'a.yaml:4:60: warning: form "冰" is only 1 character: it matches inside any Chinese text that has it, with no context; use a phrase with context or a longer form (substances.1.forms.0)',
    ]);
  });

  it('a Chinese form with a character the pinyin table cannot read', () => {
    // 𪚥 (four dragons) is outside the everyday characters and the bundled lexicons.
    const { lines } = lint({
      'a.yaml': `${HEAD}substances:\n  - { term: methamphetamine, class: ats, lang: zh, forms: [冰毒, 𪚥毒] }\n`,
    });
    expect(lines).toEqual([
      'a.yaml:3:64: warning: form "𪚥毒": no pinyin reading for 𪚥, so the form is not found with it spelled in pinyin; `npx tsx test/dev/generate-pinyin.ts` adds the readings of the lexicons\' characters (substances.0.forms.1)',
    ]);
  });

  it('duplicate forms and duplicate terms across files', () => {
    const { lines } = lint({
      'a.yaml': `${HEAD}substances:\n  - { term: mephedrone, class: cathinone, weight: 0.9, forms: [мефедрон] }\n`,
      'b.yaml': `${HEAD}substances:\n  - { term: mephedrone, class: cathinone, weight: 0.5, forms: [мефедрон, мяу] }\n`,
    });
    expect(lines).toEqual([
      'b.yaml:3:13: warning: duplicate term: "mephedrone" (substance, ru) is also defined in a.yaml:3; keep one language\'s forms of a term in one file (substances.0.term)'.replace(
        'a.yaml',
        `${tmp.path}/case-${n - 1}/a.yaml`,
      ),
      `b.yaml:3:64: warning: duplicate: form "мефедрон" of "mephedrone" is already listed at ${tmp.path}/case-${n - 1}/a.yaml:3 (weights 0.9 and 0.5: the higher counts) (substances.0.forms.0)`,
    ]);
  });

  it('shadowed terms: one form for two terms (error), a negative shadow, two groups, a shared stem', () => {
    const { lines, result } = lint({
      'a.yaml':
        `${HEAD}substances:\n` +
        '  - { term: mephedrone, class: cathinone, forms: [мефедрон, соль] }\n' +
        '  - { term: alpha-PVP, class: cathinone, forms: [соль, кристаллы] }\n' +
        '  - { term: crystal meth, class: ats, forms: [кристаллом] }\n' +
        'negative:\n  - { term: kitchen, class: innocent, forms: [кристаллы] }\n' +
        'intent:\n  - { term: offer, class: offer, forms: [мефедрон] }\n',
    });
    expect(result.errors).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(
        /^a\.yaml:4:50: error: form "соль" means "alpha-PVP" here but "mephedrone" at .*a\.yaml:3: one form, one substance term \(substances\.1\.forms\.0\)$/,
      ),
      expect.stringMatching(
        /^a\.yaml:5:47: warning: inflections of "кристаллом" \("crystal meth"\) and "кристаллы" \("alpha-PVP", .*a\.yaml:4\) share the stem "кристалл": such words count for both; use match: exact on one \(substances\.2\.forms\.0\)$/,
      ),
      expect.stringMatching(
        /^a\.yaml:7:47: warning: form "кристаллы" of substance term "alpha-PVP" is shadowed by negative term "kitchen" \(.*a\.yaml:4\): the negative match cancels it, so it never counts \(negative\.0\.forms\.0\)$/,
      ),
      expect.stringMatching(
        /^a\.yaml:9:42: warning: form "мефедрон" is claimed by intent "offer" and by substance "mephedrone" at .*a\.yaml:3: both count \(intent\.0\.forms\.0\)$/,
      ),
    ]);
  });

  it('unknown classes and languages', () => {
    const { lines } = lint({
      'a.yaml':
        'lang: kz\nsubstances:\n  - { term: mephedrone, class: cathinon, forms: [мефедрон] }\n' +
        '  - { term: heroin, class: opiate, lang: tj, forms: [героин] }\n' +
        'intent:\n  - { term: dead drop, class: dead-dorp, forms: [закладка] }\n',
    });
    expect(lines).toEqual([
      'a.yaml:1:7: error: unknown language "kz" (did you mean kk?): use one of ru, kk, ky, uz, uz-cyrl, tg, zh, en, any (lang)',
      expect.stringMatching(
        /^a\.yaml:3:32: error: unknown substance class "cathinon" \(did you mean cathinone\?\): set category, use generic, or one of: cathinone, .* \(substances\.0\.class\)$/,
      ),
      'a.yaml:4:42: error: unknown language "tj" (did you mean tg?): use one of ru, kk, ky, uz, uz-cyrl, tg, zh, en, any (substances.1.lang)',
      expect.stringMatching(
        /^a\.yaml:6:31: warning: unknown intent class "dead-dorp" \(did you mean dead-drop\?\) .* \(intent\.0\.class\)$/,
      ),
    ]);
  });

  it('what the loader refuses across files: two scoring blocks, a category on a non-substance', () => {
    const { lines } = lint({
      'a.yaml': `${HEAD}scoring: { threshold: 0.5 }\n`,
      'b.yaml': `${HEAD}scoring: { threshold: 0.6 }\nintent:\n  - { term: offer, class: offer, category: nps, forms: [продам] }\n`,
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^b\.yaml:2:10: error: scoring is already set in .*a\.yaml; set it in one file only \(scoring\)$/,
      ),
      'b.yaml:4:44: error: category is only allowed on substances (intent.0.category)',
    ]);
  });
});
