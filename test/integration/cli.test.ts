import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedSite, startGeneratedSite } from '../helpers/generated-site.ts';
import { dropPrefix, REDIS_URL, runCli, tempDir, testPrefix } from '../helpers/runtime.ts';

/** Parses RFC 4180 CSV strictly enough to catch broken quoting. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') {
      if (cell !== '') throw new Error(`stray quote at ${i}`);
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (quoted) throw new Error('unterminated quote');
  return rows;
}

describe('CLI', () => {
  let dir: ReturnType<typeof tempDir>;
  let site: GeneratedSite;
  const prefix = testPrefix();
  let configDir: string;

  beforeAll(async () => {
    dir = tempDir();
    site = await startGeneratedSite({ listings: 20, leadEvery: 4 });
    configDir = join(dir.path, 'config');
    mkdirSync(join(configDir, 'sites'), { recursive: true });
    writeFileSync(
      join(configDir, 'spiderweb.yaml'),
      `redis: { url: "${REDIS_URL}", prefix: "${prefix}" }\ndataDir: "${join(dir.path, 'data')}"\n`,
    );
  });

  afterAll(async () => {
    await site?.close();
    await dropPrefix(prefix);
    dir?.remove();
  });

  it('crawl --seed --json prints the summary; leads and export show what it found', async () => {
    const crawl = await runCli([
      '--config',
      configDir,
      'crawl',
      '--seed',
      site.url,
      '--allow-private-network',
      '--max-rps',
      '200',
      '--json',
    ]);
    // Nothing on stderr but the warning about a Redis without persistence (the shared test Redis has none).
    expect(crawl.stderr.split('\n').filter((l) => l && !l.startsWith('spiderweb: warning: Redis'))).toEqual(
      [],
    );
    expect(crawl.code).toBe(0);
    const summary = JSON.parse(crawl.stdout);
    expect(summary).toMatchObject({ pages: 22, failed: 0, leads: 5 });
    expect(summary.pagesPerSec).toBeGreaterThan(0);
    expect(typeof summary.seconds).toBe('number');

    const leads = await runCli(['--config', configDir, 'leads']);
    expect(leads.code).toBe(0);
    expect(leads.stdout).toMatch(/5 lead\(s\)/);

    const csv = await runCli(['--config', configDir, 'export', '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = parseCsv(csv.stdout);
    expect(rows[0]).toContain('url');
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);

    const out = join(dir.path, 'leads.jsonl');
    const jsonl = await runCli(['--config', configDir, 'export', '--format', 'jsonl', '-o', out]);
    expect(jsonl.code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    for (const l of lines) {
      expect(l.url).toMatch(/\/item\/\d+$/);
      expect(l.substances.length).toBeGreaterThan(0);
      expect(l.reasons.length).toBeGreaterThan(0);
    }
  });

  it('cluster finds a vendor by an identifier as stored or as a page writes it', async () => {
    const ids = (stdout: string) =>
      (JSON.parse(stdout) as { leads: { id: number }[] }).leads.map((l) => l.id);
    const stored = await runCli(['--config', configDir, 'cluster', 'mef_shop_0', '--json']);
    expect(stored.code).toBe(0);
    expect(ids(stored.stdout).length).toBeGreaterThan(0);
    for (const written of ['@Mef_Shop_0', 't.me/mef_shop_0', 'https://t.me/Mef_Shop_0']) {
      const found = await runCli(['--config', configDir, 'cluster', written, '--json']);
      expect(found.code, written).toBe(0);
      expect(ids(found.stdout), written).toEqual(ids(stored.stdout));
    }
    const none = await runCli(['--config', configDir, 'cluster', 't.me/nobody_here']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no lead or linked identifier matches "t\.me\/nobody_here"/);
  });

  it('crawl says what went wrong in the terms of its flags', async () => {
    // A seed on loopback without --allow-private-network: refused, exit 1, and the flag is named.
    const refused = await runCli(['--config', configDir, 'crawl', '--seed', site.url, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ pages: 0, failures: { 'private-network': 1 } });
    expect(refused.stderr).toMatch(/no page fetched.*pass --allow-private-network/);
    // A bad --exclude regex is named by its flag, not by the site field it went into.
    const bad = await runCli(['--config', configDir, 'crawl', '--seed', site.url, '--exclude', '(']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^spiderweb: --exclude \(: /);
  });

  it('crawls lists crawls with their state', async () => {
    const listed = await runCli(['--config', configDir, 'crawls']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^id +started +state +pages +sites +reason/);
    expect(listed.stdout).toMatch(/ finished +22 +adhoc/);
  });

  it('classify round-trips a JSONL file', async () => {
    const input = join(dir.path, 'in.jsonl');
    const rows = [
      { id: 'a', text: 'Мефедрон 1г — 3500₽, закладки магнит, пишите @mef_shop' },
      { id: 'b', text: 'Продаю соль для ванн с лавандой, 500 тенге' },
      { id: 'c', text: 'Fresh MDMA crystals 5 gr $100, stealth shipping worldwide' },
    ];
    writeFileSync(input, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const res = await runCli(['--config', configDir, 'classify', '--input', input]);
    expect(res.code).toBe(0);
    const outRows = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(outRows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(outRows.map((r) => r.lead)).toEqual([true, false, true]);
    for (const r of outRows) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(['id', 'lead', 'score', 'category', 'substances', 'reasons']),
      );
      expect(['synthetic', 'nps', 'classic', 'pharma', 'precursor', null]).toContain(r.category);
      // The shipped web model judged it: what it and the lexicons each said, and whether a veto held.
      expect(r.model).toMatchObject({
        version: expect.stringMatching(/^[0-9a-f]{12}$/),
        lexiconLead: expect.any(Boolean),
        vetoed: expect.any(Boolean),
      });
      expect(r.lead).toBe(r.model.probability >= 0.5 && !r.model.vetoed);
    }
    const alone = await runCli(['--config', configDir, 'classify', '--no-model', '--input', input]);
    expect(alone.code).toBe(0);
    const aloneRows = alone.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(aloneRows.map((r) => r.model)).toEqual([undefined, undefined, undefined]);
    expect(aloneRows.map((r) => r.lead)).toEqual(outRows.map((r) => r.model.lexiconLead));
  });

  it('eval --by gives the figures per value of a field, beside the total', async () => {
    const input = join(dir.path, 'by.jsonl');
    const rows = [
      { id: 'r1', lang: 'ru', lead: true, text: 'Мефедрон 1г — 3500₽, закладки магнит, пишите @mef_shop' },
      { id: 'r2', lang: 'ru', lead: false, text: 'Продаю соль для ванн с лавандой, 500 тенге' },
      { id: 'e1', lang: 'en', lead: true, text: 'Fresh MDMA crystals 5 gr $100, stealth shipping worldwide' },
      // Labelled wrongly on purpose: the English group has a false positive, the Russian one none.
      { id: 'e2', lang: 'en', lead: false, text: 'Ketamine 10g, vacuum sealed, escrow only, wickr me' },
      { id: 'x1', lead: false, text: 'Weekly farmers market opens on Saturday' },
    ];
    writeFileSync(input, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const evalBy = ['--config', configDir, 'eval', '--input', input, '--label', 'lead', '--by', 'lang'];
    const res = await runCli([...evalBy, '--json']);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.confusion).toEqual({ tp: 2, fp: 1, fn: 0, tn: 2 });
    expect(out.by.field).toBe('lang');
    // Most rows first; a row without the field is a group of its own.
    expect(out.by.groups.map((g: { value: string }) => g.value)).toEqual(['en', 'ru', '(none)']);
    const [en, ru, none] = out.by.groups;
    expect(en).toMatchObject({
      n: 2,
      positives: 1,
      precision: 0.5,
      recall: 1,
      confusion: { tp: 1, fp: 1, fn: 0, tn: 0 },
    });
    expect(en.examples.falsePositives).toEqual(['e2']);
    expect(ru).toMatchObject({ n: 2, positives: 1, precision: 1, recall: 1, f1: 1 });
    expect(none).toMatchObject({ n: 1, positives: 0, confusion: { tp: 0, fp: 0, fn: 0, tn: 1 } });
    const text = await runCli(evalBy);
    expect(text.stdout).toContain('by lang:');
    expect(text.stdout).toMatch(/^ {2}en\s+2\s+1\s+0\.500\s+1\.000\s+0\.667\s+\S+\s+1\s+0$/m);
  });

  it('a malformed YAML file exits 2 naming file and line', async () => {
    const bad = join(dir.path, 'bad-yaml');
    mkdirSync(join(bad, 'sites'), { recursive: true });
    writeFileSync(
      join(bad, 'sites', 'shop.yaml'),
      'id: shop\nseeds:\n  - http://a.example/\n maxDepth: [1\n',
    );
    const res = await runCli(['--config', bad, 'crawl']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/sites\/shop\.yaml:\d+/);
    expect(res.stderr).toContain('invalid YAML');
  });

  it('a schema violation exits 2 naming file, line and field', async () => {
    const bad = join(dir.path, 'bad-schema');
    mkdirSync(join(bad, 'sites'), { recursive: true });
    writeFileSync(join(bad, 'sites', 'shop.yaml'), 'id: shop\nseeds:\n  - http://a.example/\nmaxDepth: -3\n');
    const res = await runCli(['--config', bad, 'crawl']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('sites/shop.yaml:4:');
    expect(res.stderr).toContain('field maxDepth');
  });

  it('the bin run as a file (npx spiderweb) takes the malloc settings of its #! line, and passes them on to nothing it starts', async () => {
    // Loaded before the bin's own code: what glibc saw at start, then what children would inherit at exit.
    const probe = join(dir.path, 'probe.cjs');
    writeFileSync(
      probe,
      `const seen = () => ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_'].map((k) => k + '=' + process.env[k]).join(' ');
process.stderr.write('start ' + seen() + '\\n');
process.on('exit', () => process.stderr.write('exit ' + seen() + '\\n'));`,
    );
    const { code, stdout, stderr } = await runCli(['--help'], {
      asFile: true,
      env: {
        NODE_OPTIONS: `--require ${probe}`,
        MALLOC_ARENA_MAX: undefined,
        MALLOC_MMAP_THRESHOLD_: undefined,
      },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: spiderweb');
    expect(stderr).toContain('start MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=131072');
    expect(stderr).toContain('exit MALLOC_ARENA_MAX=undefined MALLOC_MMAP_THRESHOLD_=undefined');
  });

  it('usage errors exit 2', async () => {
    const res = await runCli(['--config', configDir, 'crawl', '--max-depth', 'deep']);
    expect(res.code).toBe(2);
    const unknown = await runCli(['--config', configDir, 'crawl', '--site', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown site "nope"');
  });
});
