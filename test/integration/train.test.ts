import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, lexiconLayer } from '../../src/classify/index.ts';
import { lexiconFeatures } from '../../src/classify/model/combine.ts';
import { LexiconWatcher, loadLexicons } from '../../src/config/index.ts';
import { Store } from '../../src/leads/index.ts';
import { log } from '../../src/log.ts';
import { repoRoot, runCli, tempDir } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';

/**
 * The learned layer end to end on real files: `spiderweb train` on a JSONL written here, the model
 * loaded beside the lexicons, its features in the explanation, hot reload through the lexicon
 * watcher, a broken model refused, and `train --from-reviews` on a SQLite store with analysts'
 * decisions. The data is synthetic: "zorblax" is a product only sellers offer, "quibbit" one only
 * hobby shops do; the shipped lexicons know neither, so only the model can learn them.
 */

const dir = tempDir();
const cfg = join(dir.path, 'config');
const data = join(dir.path, 'train.jsonl');
const CLI_TIMEOUT = 60_000;

const SELLER = [
  'zorblax crates ready, message the shop',
  'fresh zorblax batch in stock',
  'zorblax tabs, discreet post',
];
const HOBBY = [
  'quibbit kits for the garden club',
  'quibbit seeds, free catalogue',
  'quibbit workshop this saturday',
];

function rows(): string {
  const out: string[] = [];
  for (let v = 0; v < 20; v++) {
    for (let k = 0; k < 3; k++) {
      const seller = v % 2 === 0;
      const text = `${(seller ? SELLER : HOBBY)[k]} #${v}`;
      out.push(JSON.stringify({ text, sale: seller, vendor: `v${v}` }));
    }
  }
  out.push(JSON.stringify({ text: 'unlabelled row', sale: null, vendor: 'v0' }));
  return `${out.join('\n')}\n`;
}

beforeAll(() => {
  mkdirSync(cfg, { recursive: true });
  cpSync(join(repoRoot, 'config/lexicons'), join(cfg, 'lexicons'), { recursive: true });
  writeFileSync(data, rows());
});
afterAll(() => dir.remove());

const train = (out: string, extra: string[] = []) =>
  runCli([
    'train',
    '--input',
    data,
    '--label',
    'sale',
    '--group',
    'vendor',
    '--context',
    'web',
    '-o',
    out,
    ...extra,
  ]);

describe('spiderweb train', () => {
  it(
    'writes a model with its manifest, prints out-of-fold figures and calibration, and is deterministic',
    async () => {
      const out = join(cfg, 'models/web');
      const r = await train(out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('rows 60 (positives 30)  5 folds by vendor');
      expect(r.stdout).toMatch(/stacked +P 1\.0000 +R 1\.0000/);
      expect(r.stdout).toContain('calibration (stacked, out-of-fold)');
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({
        format: 'spiderweb-model/1',
        context: 'web',
        data: {
          label: 'sale',
          rows: 60,
          positives: 30,
          groups: 'vendor',
          folds: 5,
          inputs: [{ name: 'train.jsonl' }],
        },
      });
      // No path of this machine in the manifest: only the file's name and hash.
      expect(JSON.stringify(manifest.data)).not.toContain(dir.path);
      const again = await train(join(dir.path, 'again'), ['--json']);
      expect(JSON.parse(again.stdout).version).toBe(manifest.version);
      const other = await train(join(dir.path, 'seed2'), ['--json', '--seed', '2']);
      expect(JSON.parse(other.stdout).version).not.toBe(manifest.version);
      // The L2 penalty is recorded, and another one makes another model.
      expect(manifest.l2).toBe(1e-4);
      const smoother = JSON.parse((await train(join(dir.path, 'l2'), ['--json', '--l2', '0.01'])).stdout);
      expect(smoother.l2).toBe(0.01);
      expect(smoother.version).not.toBe(manifest.version);
    },
    CLI_TIMEOUT,
  );

  it(
    "--by gives out-of-fold figures per value of a field, --oof each row's out-of-fold decision",
    async () => {
      // Three "languages" the model learns alike, one seller of the third labelled no sale (a
      // mislabelled batch): only that group has false positives, and --oof names their rows.
      const file = join(dir.path, 'by.jsonl');
      const out: string[] = [];
      for (let v = 0; v < 24; v++) {
        const lang = ['aa', 'bb', 'cc'][v % 3]!;
        for (let k = 0; k < 3; k++) {
          const seller = Math.floor(v / 3) % 2 === 0;
          const text = `${(seller ? SELLER : HOBBY)[k]} #${v}`;
          const sale = v === 2 ? false : seller;
          out.push(JSON.stringify({ id: `${lang}-${v}-${k}`, lang, text, sale, vendor: `v${v}` }));
        }
      }
      out.push(JSON.stringify({ id: 'none', text: 'zorblax crates ready #99', sale: true, vendor: 'v99' }));
      writeFileSync(file, `${out.join('\n')}\n`);
      const oof = join(dir.path, 'runs', 'oof.jsonl'); // a directory not made yet, as -o's may be
      const args = ['train', '--input', file, '--label', 'sale', '--group', 'vendor', '--by', 'lang'];
      const r = await runCli([...args, '--oof', oof, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const by = JSON.parse(r.stdout).by;
      expect(by.field).toBe('lang');
      expect(by.groups.map((g: { value: string }) => g.value)).toEqual(['aa', 'bb', 'cc', '(none)']);
      const [aa, bb, cc, none] = by.groups;
      expect(aa.stacked).toMatchObject({ n: 24, positives: 12, confusion: { fp: 0, fn: 0 } });
      expect(bb.stacked).toMatchObject({ n: 24, positives: 12, confusion: { fp: 0, fn: 0 } });
      expect(cc.stacked).toMatchObject({ n: 24, positives: 9, confusion: { tp: 9, fp: 3, fn: 0, tn: 12 } });
      expect(none.stacked).toMatchObject({ n: 1, positives: 1 });
      const lines = readFileSync(oof, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(73);
      expect(lines[0]).toMatchObject({ input: 'by.jsonl', line: 1, id: 'aa-0-0', group: 'v0', label: true });
      for (const q of lines) {
        expect(q.fold).toBeGreaterThanOrEqual(0);
        expect(q.fold).toBeLessThan(5);
        expect(q.p).toBeGreaterThanOrEqual(0);
        expect(q.p).toBeLessThanOrEqual(1);
      }
      // Its false positives are exactly the mislabelled batch.
      const wrong = lines.filter((q) => q.lead && !q.label).map((q) => q.id);
      expect(wrong.sort()).toEqual(
        out
          .map((l) => JSON.parse(l))
          .filter((x) => x.id.startsWith('cc-2-'))
          .map((x) => x.id)
          .sort(),
      );
      const text = await runCli(args);
      expect(text.stdout).toContain('out-of-fold by lang:');
      expect(text.stdout).toMatch(/^ {2}cc\s+24\s+9\s/m);
    },
    CLI_TIMEOUT,
  );

  it('refuses bad input naming the file and line', async () => {
    const bad = join(dir.path, 'bad.jsonl');
    writeFileSync(bad, '{"text":"a","sale":true}\n{not json\n');
    const r = await runCli(['train', '--input', bad, '--label', 'sale']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2`);
    const noGroup = await runCli(['train', '--input', data, '--label', 'sale', '--group', 'seller']);
    expect(noGroup.code).toBe(2);
    expect(noGroup.stderr).toContain(`${data}:1: field "seller" (--group) is missing`);
    const badL2 = await runCli(['train', '--input', data, '--label', 'sale', '--l2', 'lots']);
    expect(badL2.code).toBe(2);
    expect(badL2.stderr).toContain('--l2 must be a number from 0 to 1, got "lots"');
  });

  it(
    'trains on several files: a label field per file, groups by field else file, repeats counted once, and a length bound',
    async () => {
      // Two sets of posts (label "lead", no group field) and a file of pages (label "sale", by site)
      // that copies a post and holds pages longer than the model may judge.
      const postsA = join(dir.path, 'posts-a.jsonl');
      const postsB = join(dir.path, 'posts-b.jsonl');
      const pages = join(dir.path, 'pages.jsonl');
      const post = (i: number, seller: boolean) =>
        JSON.stringify({ text: `${(seller ? SELLER : HOBBY)[i % 3]} no ${i}`, lead: seller });
      writeFileSync(postsA, `${[0, 1, 2, 3].map((i) => post(i, i % 2 === 0)).join('\n')}\n`);
      writeFileSync(postsB, `${[4, 5, 6, 7].map((i) => post(i, i % 2 === 0)).join('\n')}\n`);
      const long = (seller: boolean, i: number) =>
        `${(seller ? SELLER : HOBBY)[i % 3]}. ${'Lorem ipsum. '.repeat(20)}`;
      const pageRows = [JSON.parse(post(0, true)).text].map((text) => ({ text, sale: true, site: 's0' }));
      for (let i = 0; i < 8; i++)
        pageRows.push({ text: long(i % 2 === 0, i), sale: i % 2 === 0, site: `s${i % 4}` });
      writeFileSync(pages, `${pageRows.map((r) => JSON.stringify(r)).join('\n')}\n`);
      const out = join(dir.path, 'several');
      const args = ['--label', 'lead', '--label', 'sale', '--context', 'web', '--folds', '3'];
      const r = await runCli([
        'train',
        ...['--input', postsA, '--input', postsB, '--input', pages],
        ...args,
        ...['--group', 'site', '--group-files', '--max-chars', '200', '-o', out],
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`${pages}: 1 texts already read from an earlier --input skipped\n`);
      expect(r.stdout).toContain('rows 16 (positives 8)  3 folds by site, else file');
      expect(r.stdout).toContain('judges texts up to 200 characters');
      for (const name of ['posts-a.jsonl', 'posts-b.jsonl', 'pages.jsonl'])
        expect(r.stdout).toMatch(new RegExp(`  ${name.replace('.', '\\.')}:\\n    lexicons +P`));
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({
        maxChars: 200,
        data: { label: 'lead or sale', rows: 16, groups: 'site, else file' },
      });
      expect(manifest.data.inputs.map((i: { name: string }) => i.name)).toEqual([
        'posts-a.jsonl',
        'posts-b.jsonl',
        'pages.jsonl',
      ]);
      expect(manifest.metrics.inputs.map((i: { lexicon: { n: number } }) => i.lexicon.n)).toEqual([4, 4, 8]);
      // Out-of-fold, the long pages were decided by the lexicons, as they will be in use.
      const pagesFigures = manifest.metrics.inputs[2];
      expect(pagesFigures.stacked.confusion).toEqual(pagesFigures.lexicon.confusion);

      // In use: a text within the bound is judged by both layers, a longer one by the lexicons alone.
      const modelCfg = join(dir.path, 'bounded');
      cpSync(join(cfg, 'lexicons'), join(modelCfg, 'lexicons'), { recursive: true });
      cpSync(out, join(modelCfg, 'models/web'), { recursive: true });
      const lex = await loadLexicons(join(modelCfg, 'lexicons'));
      const plain = await loadLexicons(join(modelCfg, 'lexicons'), { models: false });
      expect(classify('zorblax crates ready', lex).model).toBeDefined();
      const page = long(true, 0);
      expect(page.length).toBeGreaterThan(200);
      const c = classify(page, lex);
      expect(c.model).toBeUndefined();
      expect(c).toEqual({ ...classify(page, plain), lexiconVersion: c.lexiconVersion });
      const e = await runCli(['-c', modelCfg, 'explain', page]);
      expect(e.stdout).toContain(
        `model ${manifest.version}: not applied, the text is longer than its 200 characters`,
      );

      // eval says how many rows the model judged: here the one short row of the pages file.
      const judged = await runCli(['-c', modelCfg, 'eval', '--input', pages, '--label', 'sale']);
      expect(judged.stdout).toContain(`model ${manifest.version} judged 1 of 9`);
      const alone = await runCli(['-c', modelCfg, 'eval', '--input', pages, '--label', 'sale', '--no-model']);
      expect(alone.stdout).toContain('skipped 0)  lexicons alone');

      const one = await runCli(['train', '--input', postsA, '--group-files', ...args]);
      expect(one.code).toBe(2);
      expect(one.stderr).toContain('--group-files needs more than one --input file');
      const noLabel = await runCli([
        'train',
        '--input',
        postsA,
        '--input',
        pages,
        '--label',
        'lead',
        '--context',
        'web',
      ]);
      expect(noLabel.code).toBe(2);
      expect(noLabel.stderr).toContain(`no rows of ${pages} have a usable "lead" label`);
    },
    CLI_TIMEOUT,
  );

  it('the classifier loads the model beside the lexicons; explanations name its features', async () => {
    const plain = await loadLexicons(join(cfg, 'lexicons'), { models: false });
    const lex = await loadLexicons(join(cfg, 'lexicons'));
    expect(lex.models?.web).toBeDefined();
    expect(lex.version).not.toBe(plain.version);
    const text = 'New zorblax arrived, write to us';
    const c = classify(text, lex);
    expect(classify(text, plain).model).toBeUndefined();
    expect(c.model).toMatchObject({ version: lex.models!.web!.manifest.version, vetoed: false });
    expect(c.model!.text).toBeGreaterThan(0.5);
    const learned = c.reasons.find((r) => r.group === 'learned' && r.term === 'zorblax');
    expect(learned).toMatchObject({ form: 'zorblax', span: [4, 11] });
    expect(learned!.weight).toBeGreaterThan(0);
    expect(classify('quibbit kits, write to us', lex).model!.text).toBeLessThan(0.5);
    // The fast path (memoised token sums) scores exactly what training's feature list does.
    const model = lex.models!.web!;
    const layer = lexiconLayer(text, lex);
    const tokens = layer.runs.flatMap((r) => r.tokens);
    const lexicon = lexiconFeatures(layer.classification);
    expect(model.score(tokens, lexicon)).toBeCloseTo(
      model.probability(model.featuriser.features(tokens, lexicon)),
      6,
    );
    // The CLI's explanation shows both layers.
    const e = await runCli(['-c', cfg, 'explain', text]);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/model [0-9a-f]{12}: p /);
    expect(e.stdout).toMatch(/learned +zorblax "zorblax" at 4-11 +logit \+/);
  });

  it('workers pick up a new model like a lexicon change, and refuse a broken one', async () => {
    const lexDir = join(cfg, 'lexicons');
    const watcher = new LexiconWatcher(lexDir, await loadLexicons(lexDir), log, { pollMs: 100_000 });
    const first = watcher.current().version;
    const out = join(cfg, 'models/web');
    await train(out, ['--seed', '3']);
    await watcher.reload();
    expect(watcher.current().version).not.toBe(first);
    expect(watcher.state().error).toBeNull();
    const good = watcher.current().version;
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...manifest, threshold: 2 }));
    await watcher.reload();
    expect(watcher.current().version).toBe(good);
    expect(watcher.state().error).toContain('manifest.json (field threshold)');
    // Weights that are not the ones the manifest names are refused too.
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(out, 'weights.bin.gz'), readFileSync(join(dir.path, 'seed2/weights.bin.gz')));
    await watcher.reload();
    expect(watcher.current().version).toBe(good);
    expect(watcher.state().error).toMatch(/weights\.bin\.gz: its content hash is/);
    rmSync(join(cfg, 'models'), { recursive: true });
    await watcher.reload();
    expect(watcher.current().models).toBeUndefined();
    watcher.close();
  });

  it(
    'train --from-reviews learns from the analysts’ decisions in the store',
    async () => {
      const dataDir = join(dir.path, 'data');
      mkdirSync(dataDir, { recursive: true });
      const store = await Store.open(null, dataDir);
      const lex = await loadLexicons(join(cfg, 'lexicons'), { models: false });
      try {
        for (let i = 0; i < 24; i++) {
          const confirmed = i % 2 === 0;
          const text = `Мефедрон 1г 3000р, закладки, telegram @shop${i}. ${confirmed ? 'zorblax' : 'quibbit'} ${i}`;
          const url = `http://shop${i % 6}.example/p/${i}`;
          const at = new Date().toISOString();
          const { pageId } = await store.recordFetched({
            crawlId: 'c1',
            siteId: `site${i % 6}`,
            url,
            finalUrl: url,
            status: 200,
            contentHash: `h${i}`,
            title: `p${i}`,
            text,
            listing: null,
            lang: 'ru',
            identifiers: [],
            fetchedVia: 'http',
            robots: 'obey',
            foundVia: 'seed',
            depth: 0,
            at,
          });
          const page = (await store.page(pageId))!;
          const saved = await store.saveClassification(page, classify(text, lex), 'c1', at);
          expect(saved.leadId).not.toBeNull();
          await storeDb(store)
            .updateTable('leads')
            .set({ status: confirmed ? 'confirmed' : 'dismissed' })
            .where('id', '=', saved.leadId!)
            .execute();
        }
      } finally {
        await store.close();
      }
      const out = join(dir.path, 'from-reviews');
      const r = await runCli(['-c', cfg, 'train', '--from-reviews', '--context', 'web', '-o', out], {
        env: { SPIDERWEB_DATA_DIR: dataDir },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest.data).toMatchObject({
        rows: 24,
        positives: 12,
        groups: 'site',
        inputs: [{ name: 'reviews' }],
      });
      // Every lead was a lexicon lead; the decisions differ only by the word the model can learn.
      expect(manifest.metrics.lexicon.precision).toBe(0.5);
      expect(manifest.metrics.stacked.f1).toBe(1);
      // Beside a file: its rows, then the reviewed leads, with figures for each.
      const both = await runCli(
        ['-c', cfg, 'train', '--from-reviews', '--input', data, '--label', 'sale', '--group', 'vendor'],
        { env: { SPIDERWEB_DATA_DIR: dataDir } },
      );
      expect(both.stderr).toBe('');
      expect(both.code).toBe(0);
      expect(both.stdout).toContain('rows 84 (positives 42)');
      expect(both.stdout).toContain('train.jsonl, reviews  label sale; reviews: status');
      expect(both.stdout).toMatch(/ {2}reviews:\n {4}lexicons +P 0\.5000/);
      const reviews = (...args: string[]) =>
        runCli(['-c', cfg, 'train', '--from-reviews', ...args], { env: { SPIDERWEB_DATA_DIR: dataDir } });
      // --by a field only the file has: the reviewed leads are one group, named as such.
      const byVendor = await reviews(
        ...['--input', data, '--label', 'sale', '--group', 'vendor'],
        '--by',
        'vendor',
      );
      expect(byVendor.code).toBe(0);
      expect(byVendor.stdout).toMatch(/\n {2}\(reviews\) +24 +12 /);
      expect(byVendor.stdout).toMatch(/\n {2}v0 +3 +3 /);
      // Alone, reviewed leads can only be grouped by site (as `eval --from-reviews --by`).
      const byLang = await reviews('--by', 'lang');
      expect(byLang.code).toBe(2);
      expect(byLang.stderr).toContain('--by with --from-reviews takes site');
      const bySite = await reviews('--by', 'site');
      expect(bySite.code).toBe(0);
      expect(bySite.stdout).toMatch(/\n {2}site0 +4 +4 /);
      expect(bySite.stdout).toMatch(/\n {2}site1 +4 +0 /);
      const none = await runCli(['-c', cfg, 'train', '--from-reviews', '--context', 'marketplace'], {
        env: { SPIDERWEB_DATA_DIR: dataDir },
      });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('no reviewed marketplace leads');
    },
    CLI_TIMEOUT,
  );
});
