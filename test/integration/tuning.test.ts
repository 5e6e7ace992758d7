import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledLexicons } from '../../src/classify/index.ts';
import { loadLexicons, siteSchema } from '../../src/config/index.ts';
import { type LeadRow, Store } from '../../src/leads/index.ts';
import { type RescoreDiff, rescore } from '../../src/leads/rescore.ts';
import { suggest } from '../../src/leads/suggest.ts';
import { openRuntime, runCrawl } from '../../src/runtime/index.ts';
import { dropPrefix, runCli, tempDir, testConfig } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';

/**
 * The analysts' tuning loop on a real crawl: a fixture shop on 127.0.0.1 is crawled through real Redis
 * queues into a temp SQLite file with lexicons A; analysts' decisions are set on the leads; then
 * `rescore` with lexicons B (adds the slang "зюзя", drops ketamine, moves "порошок" to amphetamine)
 * must report exactly the expected differences, `--apply` must write them, and `suggest` must find the
 * planted slang ("шмурдяк", in both confirmed leads) and the planted false positive ("кристалл", in
 * both dismissed ones).
 */

const LEXICON_A = `description: tuning test, current
lang: ru
scoring: { threshold: 0.5 }
quantities: { units: [г, гр], currencies: [₽, руб] }
substances:
  - { term: mephedrone, class: cathinone, weight: 0.9, forms: [мефедрон] }
  - { term: ketamine, class: dissociative, weight: 0.9, forms: [кетамин] }
  - { term: mystery powder, class: cathinone, weight: 0.9, forms: [порошок] }
  - { term: crystal, class: cathinone, weight: 0.9, forms: [кристалл] }
intent:
  - { term: dead drop, class: dead-drop, weight: 0.8, forms: [закладка, закладки] }
`;
const LEXICON_B = LEXICON_A.replace('current', 'proposed')
  .replace('forms: [мефедрон]', 'forms: [мефедрон, зюзя]')
  .replace('  - { term: ketamine, class: dissociative, weight: 0.9, forms: [кетамин] }\n', '')
  .replace('term: mystery powder, class: cathinone', 'term: amphetamine, class: ats');

/** path → page text. Titles are the same everywhere, so title words never stand out. */
const PAGES: Record<string, string> = {
  '/p/strong': 'Мефедрон 1г 3500₽, закладки по городу. Шмурдяк в наличии, пишите.',
  '/p/keta': 'Кетамин 1г 3000₽, закладки по району. Шмурдяк тоже есть.',
  '/p/fresh': 'Зюзя 1г 3500₽, закладки по городу, пишите.',
  '/p/powder': 'Порошок 1г 2000₽, закладки по району.',
  '/p/glass1': 'Кристалл ваза хрустальная, 3500₽, закладки не делаем, доставка по городу.',
  '/p/glass2': 'Кристалл подвеска для люстры 500₽, закладки в коробке.',
  '/p/sofa': 'Продаю диван, 3500₽, доставка по городу, пишите.',
};

async function startShop(): Promise<{ url: string; close(): Promise<void> }> {
  const html = (title: string, body: string) =>
    `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const text = PAGES[path];
    if (path === '/') {
      const links = Object.keys(PAGES).map((p, i) => `<a href="${p}">страница ${i}</a>`);
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(html('Главная', links.join('\n')));
    } else if (text) {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(html('Объявление', `<p>${text}</p>`));
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Each CLI run starts tsx: a few seconds on a busy machine. */
const CLI_TIMEOUT = 180_000;

const pathOf = (url: string) => new URL(url).pathname;
const paths = (list: Array<{ url: string }>) => list.map((c) => pathOf(c.url)).sort();

describe('tuning loop on a stored crawl (real Redis, SQLite, HTTP, CLI)', () => {
  let dir: ReturnType<typeof tempDir>;
  let configDir: string;
  let dirB: string;
  let lexA: CompiledLexicons;
  let lexB: CompiledLexicons;
  let store: Store;
  let leadByPath: Map<string, LeadRow>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = tempDir('spiderweb-tuning-');
    configDir = join(dir.path, 'config');
    mkdirSync(join(configDir, 'lexicons'), { recursive: true });
    writeFileSync(join(configDir, 'lexicons', 'main.yaml'), LEXICON_A);
    dirB = join(dir.path, 'lexicons-next');
    mkdirSync(dirB);
    writeFileSync(join(dirB, 'main.yaml'), LEXICON_B);
    lexA = await loadLexicons(join(configDir, 'lexicons'));
    lexB = await loadLexicons(dirB);
    env = { SPIDERWEB_DATA_DIR: dir.path, DATABASE_URL: '' };

    const shop = await startShop();
    const config = await testConfig(dir.path);
    config.lexiconsDir = join(configDir, 'lexicons');
    const rt = await openRuntime(config);
    try {
      const summary = await runCrawl(rt, {
        sites: [
          siteSchema.parse({
            id: 'tune',
            seeds: [shop.url],
            allowPrivateNetwork: true,
            politeness: { maxRps: 200, maxConcurrent: 8 },
          }),
        ],
        workers: { fetch: 4, classify: 2 },
        progressMs: 50,
      });
      expect(summary.pages).toBe(Object.keys(PAGES).length + 1);
    } finally {
      await rt.close();
      await shop.close();
      await dropPrefix(config.runtime.redis.prefix);
    }
    store = await Store.open(null, dir.path);
    const leads = await store.leads();
    leadByPath = new Map(leads.map((l) => [pathOf(l.url), l]));
    // The crawl with lexicons A: these pages are leads, the others are not.
    expect([...leadByPath.keys()].sort()).toEqual([
      '/p/glass1',
      '/p/glass2',
      '/p/keta',
      '/p/powder',
      '/p/strong',
    ]);
    // The analysts' decisions.
    const setStatus = (path: string, status: LeadRow['status']) =>
      storeDb(store)
        .updateTable('leads')
        .set({ status })
        .where('id', '=', leadByPath.get(path)!.id)
        .execute();
    await setStatus('/p/strong', 'confirmed');
    await setStatus('/p/keta', 'confirmed');
    await setStatus('/p/glass1', 'dismissed');
    await setStatus('/p/glass2', 'dismissed');
  });

  afterAll(async () => {
    await store?.close();
    dir?.remove();
  });

  const leadId = (path: string) => leadByPath.get(path)!.id;

  function expectTheDiff(d: RescoreDiff) {
    expect(d.pages).toBe(Object.keys(PAGES).length + 1);
    expect(d.leadsBefore).toBe(5);
    expect(d.leadsAfter).toBe(5);
    expect(paths(d.added)).toEqual(['/p/fresh']);
    expect(paths(d.dropped)).toEqual(['/p/keta']);
    expect(paths(d.changed)).toEqual(['/p/powder']);
    expect(d.rescored).toEqual([]);
    expect(paths(d.flagged)).toEqual(['/p/keta']);

    const [fresh] = d.added;
    expect(fresh).toMatchObject({
      leadId: null,
      status: null,
      before: null,
      after: { lead: true, kind: 'sale', category: 'nps' },
    });
    // Only what the change brought: the dead drop and the price were there before; the price next to a
    // substance is new evidence too.
    expect(fresh!.termsAdded.map((t) => [t.group, t.term, t.forms])).toEqual([
      ['substance', 'mephedrone', ['Зюзя']],
      ['intent', 'offer next to substance', ['3500₽']],
    ]);
    expect(fresh!.termsRemoved).toEqual([]);

    const [keta] = d.dropped;
    expect(keta).toMatchObject({
      leadId: leadId('/p/keta'),
      status: 'confirmed',
      flagged: true,
      after: { lead: false, kind: null },
    });
    expect(keta!.termsRemoved.map((t) => `${t.group}:${t.term}`)).toContain('substance:ketamine');
    expect(keta!.termsAdded).toEqual([]);

    const [powder] = d.changed;
    expect(powder).toMatchObject({
      leadId: leadId('/p/powder'),
      status: 'new',
      before: { lead: true, category: 'nps' },
      after: { lead: true, category: 'synthetic' },
      flagged: false,
    });
    expect(powder!.termsAdded.map((t) => `${t.group}:${t.term}`)).toEqual(['substance:amphetamine']);
    expect(powder!.termsRemoved.map((t) => `${t.group}:${t.term}`)).toEqual(['substance:mystery powder']);

    const impact = Object.fromEntries(
      d.terms.map((t) => [`${t.group}:${t.term}`, [t.added, t.dropped, t.changed]]),
    );
    expect(impact['substance:mephedrone']).toEqual([1, 0, 0]);
    // The price next to a substance came with зюзя and went with кетамин.
    expect(impact['intent:offer next to substance']).toEqual([1, 1, 0]);
    expect(impact['substance:ketamine']).toEqual([0, 1, 0]);
    expect(impact['substance:amphetamine']).toEqual([0, 0, 1]);
  }

  it(
    'rescore reports exactly the new, dropped and changed leads, and writes nothing',
    async () => {
      const before = await store.leads();
      expectTheDiff(await rescore(store, lexB, { baseline: lexA }));
      expect(await store.leads()).toEqual(before);
      // The lexicons the leads were made with: no differences at all.
      const same = await rescore(store, lexA, { baseline: lexA });
      expect([same.added, same.dropped, same.changed, same.rescored]).toEqual([[], [], [], []]);
      // Filters.
      expect((await rescore(store, lexB, { siteIds: ['elsewhere'] })).pages).toBe(0);
      expect((await rescore(store, lexB, { since: '2999-01-01T00:00:00.000Z' })).pages).toBe(0);
    },
    CLI_TIMEOUT,
  );

  it(
    'suggest finds the planted slang in confirmed leads and the planted false positive in dismissed ones',
    async () => {
      const s = await suggest(store, lexA);
      expect(s).toMatchObject({ confirmedLeads: 2, dismissedLeads: 2, otherPages: 4 });
      expect(s.dismissedTerms.map((t) => [t.group, t.term, t.dismissed, t.confirmed])).toContainEqual([
        'substance',
        'crystal',
        2,
        0,
      ]);
      expect(s.dismissedTerms[0]).toMatchObject({ term: 'crystal', forms: ['Кристалл'], dismissedShare: 1 });
      expect(s.dismissedTerms[0]!.examples.sort()).toEqual([leadId('/p/glass1'), leadId('/p/glass2')].sort());
      expect(s.newTerms.map((t) => t.token)).toEqual(['шмурдяк']);
      expect(s.newTerms[0]).toMatchObject({ count: 2, confirmed: 2, dismissed: 0, unjudged: 0 });
      expect(s.newTerms[0]!.examples.sort()).toEqual([leadId('/p/keta'), leadId('/p/strong')].sort());

      const cli = await runCli(['-c', configDir, 'suggest', '--json'], { env });
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      const json = JSON.parse(cli.stdout);
      expect(json.newTerms.map((t: { token: string }) => t.token)).toEqual(['шмурдяк']);
      expect(json.dismissedTerms[0].term).toBe('crystal');
      const text = await runCli(['-c', configDir, 'suggest'], { env });
      expect(text.stdout).toMatch(/шмурдяк\s+2\s+2\s+0\s+0/);
      expect(text.stdout).toMatch(/substance: crystal\s+2\s+0\s+1\.00\s+Кристалл/);
    },
    CLI_TIMEOUT,
  );

  it(
    'eval --from-reviews measures lexicons against the decisions',
    async () => {
      const a = await runCli(['-c', configDir, 'eval', '--from-reviews', '--json'], { env });
      expect(a.stderr).toBe('');
      expect(JSON.parse(a.stdout)).toMatchObject({
        precision: 0.5,
        recall: 1,
        n: 4,
        positives: 2,
        confusion: { tp: 2, fp: 2, fn: 0, tn: 0 },
        lexiconVersion: lexA.version,
      });
      const b = await runCli(['-c', configDir, 'eval', '--from-reviews', '--lexicons', dirB, '--json'], {
        env,
      });
      const rb = JSON.parse(b.stdout);
      expect(rb.confusion).toEqual({ tp: 1, fp: 2, fn: 1, tn: 0 });
      expect(rb.examples.falseNegatives).toEqual([`#${leadId('/p/keta')}`]);
      // Per site: the lead's site, with the same counts as the whole here (one site crawled).
      const bySite = JSON.parse(
        (await runCli(['-c', configDir, 'eval', '--from-reviews', '--by', 'site', '--json'], { env })).stdout,
      );
      expect(bySite.by).toEqual({
        field: 'site',
        groups: [expect.objectContaining({ value: 'tune', n: 4, confusion: { tp: 2, fp: 2, fn: 0, tn: 0 } })],
      });
      const byLang = await runCli(['-c', configDir, 'eval', '--from-reviews', '--by', 'lang'], { env });
      expect(byLang.code).toBe(2);
      expect(byLang.stderr).toContain('--by with --from-reviews takes site');
      const usage = await runCli(['-c', configDir, 'eval'], { env });
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--from-reviews');
    },
    CLI_TIMEOUT,
  );

  it(
    'the rescore CLI prints the diff and flags the confirmed drop; --apply writes it with the lexicon version',
    async () => {
      const before = await store.leads();
      const text = await runCli(['-c', configDir, 'rescore', '--lexicons', dirB], { env });
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`!! DROPS CONFIRMED LEAD #${leadId('/p/keta')}`);
      expect(text.stdout).toContain('leads: 5 → 5   +1 new  -1 dropped  1 changed  0 rescored');
      expect(text.stdout).toMatch(/~ lead #\d+ new {2}0\.92 → 0\.92 {2}sale\/nps → sale\/synthetic/);
      expect(text.stdout).toContain('+substance:mephedrone "Зюзя"');
      expect(text.stdout).toContain('nothing written');
      const json = await runCli(['-c', configDir, 'rescore', '--lexicons', dirB, '--json'], { env });
      expectTheDiff(JSON.parse(json.stdout));
      expect(await store.leads()).toEqual(before);

      const applied = await runCli(['-c', configDir, 'rescore', '--lexicons', dirB, '--apply'], { env });
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain(`applied: 3 lead(s) written with lexicons ${lexB.version}`);
      const after = new Map((await store.leads()).map((l) => [pathOf(l.url), l]));
      expect(after.get('/p/fresh')).toMatchObject({
        kind: 'sale',
        category: 'nps',
        status: 'new',
        lexicon_version: lexB.version,
      });
      // The dropped lead stays, with the analysts' status, no kind and the new version.
      expect(after.get('/p/keta')).toMatchObject({
        kind: null,
        status: 'confirmed',
        lexicon_version: lexB.version,
      });
      expect(after.get('/p/powder')).toMatchObject({ category: 'synthetic', lexicon_version: lexB.version });
      // Untouched leads keep the version they were made with.
      expect(after.get('/p/strong')).toMatchObject({ status: 'confirmed', lexicon_version: lexA.version });
      for (const path of ['/p/fresh', '/p/keta', '/p/powder']) {
        const history = await store.history(after.get(path)!.id);
        expect(history.at(-1)?.lexicon_version, path).toBe(lexB.version);
      }
      const again = await rescore(store, lexB, { baseline: lexB });
      expect([again.added, again.dropped, again.changed, again.rescored]).toEqual([[], [], [], []]);
    },
    CLI_TIMEOUT,
  );

  it(
    'lexicon lint: exit 0 on good lexicons, 2 with file:line:col on a broken one',
    async () => {
      const ok = await runCli(['-c', configDir, 'lexicon', 'lint'], { env });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('0 error(s), 0 warning(s) in 1 file(s) (5 terms, 6 forms)');
      const bad = join(dir.path, 'lexicons-bad');
      mkdirSync(bad);
      writeFileSync(join(bad, 'a.yaml'), `${LEXICON_B}  - { term: the, class: offer, forms: [и] }\n`);
      const res = await runCli(['lexicon', 'lint', bad], { env });
      expect(res.code).toBe(2);
      expect(res.stdout).toContain(
        `${join(bad, 'a.yaml')}:11:40: error: form "и" is one of the most common ru words: it would match nearly every text (weight 0.5); use a phrase with context or drop it (intent.1.forms.0)`,
      );
      expect(res.stdout).toMatch(/1 error\(s\), \d+ warning\(s\) in 1 file\(s\)/);
    },
    CLI_TIMEOUT,
  );
});
