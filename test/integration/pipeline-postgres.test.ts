import { afterAll, beforeAll, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/index.ts';
import { type DemoMarket, demoPages, demoSiteInput, startDemoMarket } from '../../src/demo/index.ts';
import { openRuntime, runCrawl } from '../../src/runtime/index.ts';
import { type TestDb, testDb } from '../helpers/db.ts';
import { dropPrefix, testConfig } from '../helpers/runtime.ts';
import { needsPostgres as needs } from '../helpers/requirements.ts';
import { recordQueries } from '../helpers/store-probes.ts';

/** Crawls the demo market into the given store and returns what a reviewer sees of its leads. */
async function crawlInto(market: DemoMarket, tdb: TestDb, screenshots = true) {
  const config = await testConfig(tdb.dataDir);
  config.runtime.store.url = tdb.url;
  const rt = await openRuntime(config);
  try {
    expect(rt.store.dialect).toBe(tdb.backend);
    const summary = await runCrawl(rt, {
      sites: [siteSchema.parse({ ...demoSiteInput(market.url), evidence: { screenshots } })],
      workers: { fetch: 8, classify: 2 },
      progressMs: 50,
    });
    const leads = await rt.store.leads();
    const clusters = new Map<number, string[]>();
    for (const l of leads) {
      const path = new URL(l.url).pathname;
      clusters.set(l.cluster_id!, [...(clusters.get(l.cluster_id!) ?? []), path].sort());
    }
    return {
      summary,
      leads: leads
        .map((l) => ({
          path: new URL(l.url).pathname,
          kind: l.kind,
          category: l.category,
          score: l.score,
          substances: JSON.parse(l.substances) as string[],
        }))
        .sort((a, b) => a.path.localeCompare(b.path)),
      clusters: [...clusters.values()].map((c) => c.join(' ')).sort(),
      identifiers: (await rt.store.identifiers()).map((i) => `${i.type}:${i.value}:${i.leads}`).sort(),
    };
  } finally {
    await rt.close();
    await dropPrefix(config.runtime.redis.prefix);
  }
}

needs('pipeline on the demo market with a PostgreSQL store (real Redis, PostgreSQL, HTTP)', () => {
  let market: DemoMarket;
  let pg: TestDb;
  let lite: TestDb;

  beforeAll(async () => {
    market = await startDemoMarket({ host: '127.0.0.1', port: 0 });
    pg = await testDb('postgres');
    lite = await testDb('sqlite');
  });

  afterAll(async () => {
    await market?.close();
    await pg?.drop();
    await lite?.drop();
  });

  it('finds exactly the leads, clusters and identifiers it finds on SQLite', async () => {
    const onPg = await crawlInto(market, pg);
    const onSqlite = await crawlInto(market, lite);
    expect(onPg.summary.failed).toBe(0);
    expect(onPg.summary.pages).toBe(onSqlite.summary.pages);
    expect(onPg.leads).toEqual(onSqlite.leads);
    expect(onPg.clusters).toEqual(onSqlite.clusters);
    expect(onPg.identifiers).toEqual(onSqlite.identifiers);
    expect(onPg.summary.leads).toBe(onSqlite.summary.leads);
    expect(onPg.summary.newLeads).toBe(onPg.summary.leads);

    // And that set is the demo's truth: every sale a lead, no innocent page one.
    const leadPaths = new Set(onPg.leads.map((l) => l.path));
    const wrong = demoPages()
      .filter((p) => p.lead !== leadPaths.has(p.path))
      .map((p) => `${p.path}: expected ${p.lead ? 'a lead' : 'no lead'} (${p.why})`);
    expect(wrong).toEqual([]);
  });

  it('classifies and seals a page it has just stored without reading the page or its capture back', async () => {
    const queries = recordQueries();
    const tdb = await testDb('postgres');
    try {
      let crawled: Awaited<ReturnType<typeof crawlInto>>;
      try {
        crawled = await crawlInto(market, tdb, false);
      } finally {
        queries.stop();
      }
      expect(crawled.summary.failed).toBe(0);
      expect(crawled.leads.length).toBeGreaterThan(0);
      const store = await tdb.open();
      try {
        // Every lead is sealed all the same (without a screenshot, inline).
        const leads = await store.leads();
        const sealed = await Promise.all(leads.map((l) => store.captures.ofLead(l.id)));
        expect(sealed.map((c) => c.filter((r) => r.manifest_sha256).length)).toEqual(leads.map(() => 1));
      } finally {
        await store.close();
      }
    } finally {
      await tdb.drop();
    }
    const reads = queries.sent.filter(
      (q) =>
        /^select\b/i.test(q.trim()) &&
        (/"pages"\."text"|"content_hash" from "pages"/.test(q) || /from "evidence"/.test(q)),
    );
    expect(queries.sent.length).toBeGreaterThan(0);
    expect(reads).toEqual([]);
  });
});
