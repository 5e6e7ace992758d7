import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, siteSchema } from '../../src/config/index.ts';
import {
  type DemoMarket,
  demoCrawlPlan,
  demoPages,
  demoSiteInput,
  startDemoMarket,
} from '../../src/demo/index.ts';
import { openRuntime, runCrawl, type Runtime } from '../../src/runtime/index.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';

/** The crawler always strips these (session ids and tracking); the demo's links use them. */
const BUILT_IN = ['utm_*', 'sid'];

/** The pages a crawl must fetch, from the demo's own link graph (not the crawler's). */
const plan = (maxDepth: number, extra: string[] = ['ref']) =>
  demoCrawlPlan({ maxDepth, stripParams: [...BUILT_IN, ...extra] }).sort();

describe('pipeline on the demo market (real Redis, SQLite, HTTP)', () => {
  let market: DemoMarket;
  let dir: ReturnType<typeof tempDir>;
  let config: Config;
  let rt: Runtime;

  beforeAll(async () => {
    market = await startDemoMarket({ host: '127.0.0.1', port: 0 });
    dir = tempDir();
    config = await testConfig(dir.path);
    rt = await openRuntime(config);
  });

  afterAll(async () => {
    await rt?.close();
    await market?.close();
    await dropPrefix(config.runtime.redis.prefix);
    dir?.remove();
  });

  const crawl = (site: Record<string, unknown> = {}) =>
    runCrawl(rt, {
      sites: [siteSchema.parse({ ...demoSiteInput(market.url), ...site })],
      workers: { fetch: 8, classify: 2 },
      progressMs: 50,
    });

  const fetchedPaths = async (crawlId: string) => {
    const rows = await storeDb(rt.store)
      .selectFrom('pages')
      .select(['url', 'state'])
      .where('crawl_id', '=', crawlId)
      .execute();
    return rows.map((r) => new URL(r.url).pathname + new URL(r.url).search).sort();
  };

  it('fetches exactly the reachable pages, and every sale is a lead and no innocent page is', async () => {
    const summary = await crawl();
    expect(await fetchedPaths(summary.crawlId)).toEqual(plan(3));
    expect(summary.failed).toBe(0);
    // The external link and the trap's tail were refused and counted.
    expect(summary.skipped['out-of-scope']).toBeGreaterThan(0);
    expect(summary.skipped['max-depth']).toBeGreaterThan(0);

    const leads = await rt.store.leads();
    const leadPaths = new Set(leads.map((l) => new URL(l.url).pathname));
    const truth = demoPages();
    const wrong = truth
      .filter((p) => p.lead !== leadPaths.has(p.path))
      .map((p) => `${p.path}: expected ${p.lead ? 'a lead' : 'no lead'} (${p.why})`);
    expect(wrong).toEqual([]);
    for (const page of truth.filter((p) => p.lead)) {
      const lead = leads.find((l) => new URL(l.url).pathname === page.path)!;
      expect(lead.kind, page.path).toBe(page.leadKind);
      if (page.category) expect(lead.category, page.path).toBe(page.category);
      expect(JSON.parse(lead.reasons).length, page.path).toBeGreaterThan(0);
    }
    expect(summary.leads).toBe(truth.filter((p) => p.lead).length);
  });

  it('a second crawl updates leads and never duplicates them', async () => {
    const before = await rt.store.leads();
    const summary = await crawl();
    const after = await rt.store.leads();
    expect(after.map((l) => l.id).sort()).toEqual(before.map((l) => l.id).sort());
    expect(summary.newLeads).toBe(0);
    expect(summary.leads).toBe(before.length);
    const pages = await storeDb(rt.store).selectFrom('pages').select(['url']).execute();
    expect(new Set(pages.map((p) => p.url)).size).toBe(pages.length);
    expect(after.every((l) => l.crawl_id === summary.crawlId)).toBe(true);
  });

  it('--max-depth bounds the crawl', async () => {
    const summary = await crawl({ maxDepth: 1 });
    expect(await fetchedPaths(summary.crawlId)).toEqual(plan(1));
  });

  it('--max-pages bounds the crawl', async () => {
    const summary = await crawl({ maxPages: 5 });
    expect(summary.pages).toBe(5);
    expect(summary.skipped['max-pages']).toBeGreaterThan(0);
  });

  it('--exclude keeps matching URLs out', async () => {
    const summary = await crawl({ scope: { deny: ['/item/'] } });
    const paths = await fetchedPaths(summary.crawlId);
    expect(paths.some((p) => p.startsWith('/item/'))).toBe(false);
    expect(paths.length).toBeGreaterThan(3);
    expect(summary.skipped.excluded).toBeGreaterThan(0);
  });

  it('--strip-param folds URLs that differ only by that parameter', async () => {
    const withParam = await fetchedPaths((await crawl({ stripParams: [] })).crawlId);
    const keyed = withParam.filter((p) => /[?&]ref=/.test(p));
    expect(keyed.length).toBeGreaterThan(0);
    expect(withParam).toEqual(plan(3, []));
    const stripped = await fetchedPaths((await crawl({ stripParams: ['ref'] })).crawlId);
    expect(stripped).toEqual(plan(3, ['ref']));
    expect(stripped.some((p) => /[?&]ref=/.test(p))).toBe(false);
    expect(stripped.length).toBe(withParam.length - keyed.length);
  });
});
