import { execFile } from 'node:child_process';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Classification } from '../../src/classify/index.ts';
import type { Identifier, IdentifierType } from '../../src/extract/index.ts';
import { type FetchedRecord, Store } from '../../src/leads/index.ts';
import { BACKENDS, type TestDb, testDb } from '../helpers/db.ts';
import { repoRoot } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';

/** Opens (and so migrates) the store in a separate Node process, as a worker would. */
function openInChild(tdb: TestDb): Promise<{ code: number; stderr: string }> {
  const script = `
    const { register } = await import('tsx/esm/api');
    register();
    const { Store } = await import('./src/leads/index.ts');
    const s = await Store.open(process.env.URL, process.env.DIR);
    await s.close();`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: repoRoot, env: { ...process.env, URL: tdb.url, DIR: tdb.dataDir, LOG_LEVEL: 'silent' } },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });
}

const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-02T10:00:00.000Z';
const T2 = '2025-03-03T10:00:00.000Z';

const id = (type: IdentifierType, value: string, deobfuscated = false): Identifier => ({
  type,
  value,
  span: [0, value.length],
  validated: 'syntax',
  deobfuscated,
});

const fetched = (over: Partial<FetchedRecord> = {}): FetchedRecord => ({
  crawlId: 'c1',
  siteId: 'shop',
  url: 'http://shop.test/item/1',
  finalUrl: 'http://shop.test/item/1',
  status: 200,
  contentHash: 'h1',
  title: 'Item',
  text: 'text',
  listing: null,
  lang: 'ru',
  identifiers: [],
  fetchedVia: 'http',
  robots: 'obey',
  foundVia: 'seed',
  depth: 0,
  at: T0,
  ...over,
});

const verdict = (score: number, over: Partial<Classification> = {}): Classification => ({
  score,
  lead: score >= 0.5,
  kind: score >= 0.5 ? 'sale' : null,
  category: score >= 0.5 ? 'synthetic' : null,
  substances: score >= 0.5 ? ['mephedrone'] : [],
  reasons: [],
  lexiconVersion: 'v1',
  ...over,
});

describe.each(BACKENDS)('leads store on %s', (backend) => {
  let tdb: TestDb;
  let store: Store;

  beforeEach(async () => {
    tdb = await testDb(backend);
    store = await tdb.open({ ignoreIdentifiers: ['telegram:market_support'] });
  });

  afterEach(async () => {
    await store?.close();
    await tdb?.drop();
  });

  /** Stores a page and classifies it; returns the page id and lead id. */
  const leadFor = async (
    url: string,
    identifiers: Identifier[],
    score = 0.8,
    over: Partial<FetchedRecord> = {},
  ) => {
    const { pageId } = await store.recordFetched(fetched({ url, finalUrl: url, identifiers, ...over }));
    const page = (await store.page(pageId))!;
    const { leadId } = await store.saveClassification(
      page,
      verdict(score),
      over.crawlId ?? 'c1',
      over.at ?? T0,
    );
    return { pageId, leadId: leadId! };
  };

  it.runIf(backend === 'sqlite')(
    'keeps the lead search index in step with titles, substances and identifiers (not the page text)',
    async () => {
      const search = async (q: string) =>
        (
          await sql<{ rowid: number }>`select rowid from leads_fts where leads_fts match ${q}`.execute(
            storeDb(store),
          )
        ).rows.map((r) => r.rowid);
      const url = 'http://shop.test/fts';
      const wallet = 'TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE';
      const { leadId } = await leadFor(url, [id('tron', wallet)], 0.8, {
        title: 'Кристаллы в наличии',
        text: 'мефедрон закладки алматы',
      });
      expect(await search('"наличии"')).toEqual([leadId]);
      expect(await search('"mephedrone"')).toEqual([leadId]);
      expect(await search('"dow5kcb"')).toEqual([leadId]);
      expect(await search('"закладки"')).toEqual([]); // the page's text is not indexed
      // A recrawl with the same identifiers, and a reclassification with the same title: still found once.
      await store.recordFetched(fetched({ url, finalUrl: url, identifiers: [id('tron', wallet)] }));
      const pageId = (
        await storeDb(store).selectFrom('pages').select('id').where('url', '=', url).executeTakeFirstOrThrow()
      ).id;
      await store.saveClassification((await store.page(pageId))!, verdict(0.9), 'c1', T0);
      expect(await search('"dow5kcb"')).toEqual([leadId]);
      // A recrawl that shows a new handle: the lead is found by it, and still by the wallet.
      await store.recordFetched(
        fetched({ url, finalUrl: url, identifiers: [id('tron', wallet), id('telegram', 'mef_shop_kz')] }),
      );
      expect(await search('"mef_shop"')).toEqual([leadId]);
      expect(await search('"dow5kcb"')).toEqual([leadId]);
      // New substances and a new title replace the old ones.
      await store.saveClassification(
        (await store.page(pageId))!,
        verdict(0.9, { substances: ['a-pvp'] }),
        'c1',
        T0,
      );
      expect(await search('"a-pvp"')).toEqual([leadId]);
      expect(await search('"mephedrone"')).toEqual([]);
      await storeDb(store)
        .updateTable('leads')
        .set({ title: 'соль оптом' })
        .where('id', '=', leadId)
        .execute();
      expect(await search('"оптом"')).toEqual([leadId]);
      expect(await search('"наличии"')).toEqual([]);
      // An identifier unlinked from the page leaves the index too.
      await storeDb(store).deleteFrom('page_identifiers').where('page_id', '=', pageId).execute();
      expect(await search('"dow5kcb"')).toEqual([]);
      expect(await search('"оптом"')).toEqual([leadId]);
    },
  );

  it('runs its migrations once: opening again, or several processes at once, changes nothing', async () => {
    expect(store.dialect).toBe(backend);
    const { pageId } = await store.recordFetched(fetched());
    const again = await tdb.open();
    expect((await again.page(pageId))?.url).toBe('http://shop.test/item/1');
    await again.close();

    const fresh = await testDb(backend);
    try {
      const stores = await Promise.all([fresh.open(), fresh.open(), fresh.open(), fresh.open()]);
      const done = await storeDb(stores[0]!)
        .selectFrom('kysely_migration' as 'pages')
        .selectAll()
        .execute();
      expect(done.length).toBeGreaterThanOrEqual(2);
      const names = done.map((m) => (m as unknown as { name: string }).name);
      expect(new Set(names).size).toBe(names.length);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('opens from several processes at once on a new store', async () => {
    const fresh = await testDb(backend);
    try {
      const results = await Promise.all([1, 2, 3].map(() => openInChild(fresh)));
      expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
      const s = await fresh.open();
      expect(await s.leads()).toEqual([]);
      await s.close();
    } finally {
      await fresh.drop();
    }
  });

  // Kysely's migrator asks whether its tables exist on every open; its own introspector read every
  // table of every schema, and failed ("schema … does not exist") when another one was dropped meanwhile.
  it('introspects its own schema only, so other schemas of the database never stall or fail an open', async () => {
    if (backend === 'sqlite') return;
    const other = await testDb('postgres');
    const neighbour = await other.open();
    try {
      await storeDb(neighbour).schema.createTable('unrelated').addColumn('x', 'integer').execute();
      const tables = await storeDb(store).introspection.getTables({ withInternalKyselyTables: true });
      const names = tables.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['leads', 'pages', 'kysely_migration']));
      expect(names).not.toContain('unrelated');
      expect(new Set(tables.map((t) => t.schema))).toEqual(
        new Set([new URL(tdb.url).searchParams.get('schema')]),
      );
      const leads = tables.find((t) => t.name === 'leads')!;
      expect(leads.columns.find((c) => c.name === 'id')).toMatchObject({
        isAutoIncrementing: true,
        isNullable: false,
      });
      expect(leads.columns.find((c) => c.name === 'cluster_id')).toMatchObject({ isNullable: true });
      expect((await storeDb(store).introspection.getTables()).map((t) => t.name)).not.toContain(
        'kysely_migration',
      );
      expect(await storeDb(store).introspection.getSchemas()).toHaveLength(1);
      // A store opened while the other schema is dropped under it.
      await Promise.all([
        neighbour.close().then(() => other.drop()),
        Promise.all([1, 2, 3].map(() => tdb.open().then((s) => s.close()))),
      ]);
    } finally {
      await neighbour.close().catch(() => {});
      await other.drop();
    }
  });

  it('says where the data is, without the password', async () => {
    if (backend === 'sqlite') {
      expect(store.location).toMatch(/store\.sqlite$/);
      return;
    }
    const u = new URL(tdb.url);
    u.password = 'secret';
    const s = await Store.open(u.toString(), tdb.dataDir);
    try {
      expect(s.location).toMatch(/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/test\?schema=spw_/);
      expect(s.location).not.toContain('secret');
    } finally {
      await s.close();
    }
  });

  it('recordFetched inserts, then updates with change detection', async () => {
    const listing = {
      title: 'Мефедрон 1 г',
      price: '40',
      currency: 'USD',
      seller: 'v1',
      description: 'кристалл',
    };
    const a = await store.recordFetched(
      fetched({ listing, foundVia: 'link', identifiers: [id('telegram', 'v1_shop')] }),
    );
    expect(a.changed).toBe(true);
    expect(typeof a.pageId).toBe('number');
    // A new page comes back as classifying it would read it: the worker that stored it need not read it.
    expect(a.stored).toEqual(await store.pageToClassify(a.pageId));
    expect(a.stored).toMatchObject({ lead_id: null, found_via: 'link', listing: JSON.stringify(listing) });
    const b = await store.recordFetched(fetched({ listing, foundVia: 'link', at: T1 }));
    expect(b).toEqual({ pageId: a.pageId, changed: false });
    const c = await store.recordFetched(fetched({ contentHash: 'h2', text: 'new text', at: T2 }));
    expect(c).toEqual({ pageId: a.pageId, changed: true });
    const page = (await store.page(a.pageId))!;
    expect(page.fetch_count).toBe(3);
    expect(page.text).toBe('new text');
    expect(page.first_seen).toBe(T0);
    expect(page.last_fetched).toBe(T2);
  });

  it('recordFetched of one new URL by many writers at once makes one page', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.recordFetched(fetched({ identifiers: [id('btc', `bc1race${i % 3}`)] })),
      ),
    );
    expect(new Set(results.map((r) => r.pageId)).size).toBe(1);
    const pages = await storeDb(store).selectFrom('pages').select('id').execute();
    expect(pages).toHaveLength(1);
    expect((await store.page(results[0]!.pageId))!.fetch_count).toBe(12);
    expect(await store.pageIdentifiers(results[0]!.pageId)).toHaveLength(3);
  });

  it('pages sharing identifiers in any order are written concurrently without deadlock', async () => {
    const values = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const order = i % 2 ? [...values].reverse() : values;
        return store.recordFetched(
          fetched({ url: `http://shop.test/p/${i}`, identifiers: order.map((v) => id('telegram', v)) }),
        );
      }),
    );
    expect(new Set(results.map((r) => r.pageId)).size).toBe(10);
    expect(await storeDb(store).selectFrom('identifiers').select('id').execute()).toHaveLength(5);
    expect(await storeDb(store).selectFrom('page_identifiers').select('page_id').execute()).toHaveLength(50);
  });

  it('stores a page’s identifiers in one go, each once, however often the page repeats them', async () => {
    const ids = [
      id('telegram', 'zed'),
      id('btc', 'bc1qonce'),
      id('telegram', 'amy'),
      id('telegram', 'zed', true),
    ];
    const { pageId } = await store.recordFetched(
      fetched({ url: 'http://shop.test/repeats', identifiers: ids }),
    );
    const linked = await store.pageIdentifiers(pageId);
    expect(linked.map((i) => `${i.type}:${i.value}`).sort()).toEqual([
      'btc:bc1qonce',
      'telegram:amy',
      'telegram:zed',
    ]);
    expect(await storeDb(store).selectFrom('identifiers').select('id').execute()).toHaveLength(3);
  });

  it('recordFailure: failed pages, gone pages mark their lead, and a page that comes back clears it', async () => {
    await store.recordFailure({
      crawlId: 'c1',
      siteId: 'shop',
      url: 'http://shop.test/dead',
      status: null,
      state: 'failed',
      reason: 'timeout',
      message: 'x'.repeat(5000),
      foundVia: 'seed',
      depth: 0,
      at: T0,
    });
    const dead = await storeDb(store)
      .selectFrom('pages')
      .selectAll()
      .where('url', '=', 'http://shop.test/dead')
      .execute();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ state: 'failed', fail_reason: 'timeout', text: '', status: null });
    expect(dead[0]!.fail_message).toHaveLength(1000);

    const { pageId, leadId } = await leadFor('http://shop.test/item/1', []);
    const gone = (at: string) =>
      store.recordFailure({
        crawlId: 'c2',
        siteId: 'shop',
        url: 'http://shop.test/item/1',
        status: 410,
        state: 'gone',
        reason: 'gone',
        message: 'HTTP 410',
        foundVia: 'seed',
        depth: 0,
        at,
      });
    await gone(T1);
    await gone(T2);
    const page = (await store.page(pageId))!;
    expect(page).toMatchObject({ state: 'gone', status: 410, text: 'text' });
    expect((await store.lead(leadId))!.gone_at).toBe(T1);

    await store.recordFetched(fetched({ at: T2 }));
    expect((await store.lead(leadId))!.gone_at).toBeNull();
    expect((await store.page(pageId))!.state).toBe('fetched');
  });

  it('records robots handling on the page and a lead history: created, changed, gone, back', async () => {
    const { pageId } = await store.recordFetched(fetched({ robots: 'obey:missing' }));
    expect((await store.page(pageId))!.robots).toBe('obey:missing');
    const page = async () => (await store.page(pageId))!;
    const { leadId } = await store.saveClassification(await page(), verdict(0.9), 'c1', T0);
    // The same text and decision again: nothing new to record.
    await store.saveClassification(await page(), verdict(0.9), 'c1', T0);
    // The listing's text changed on a recrawl: re-classified, history says so.
    await store.recordFetched(fetched({ contentHash: 'h2', text: 'new text', at: T1 }));
    await store.saveClassification(await page(), verdict(0.92), 'c2', T1);
    await store.recordFailure({
      crawlId: 'c3',
      siteId: 'shop',
      url: 'http://shop.test/item/1',
      status: 404,
      state: 'gone',
      reason: 'http-status',
      message: 'HTTP 404',
      foundVia: 'seed',
      depth: 0,
      at: T2,
    });
    await store.recordFetched(fetched({ contentHash: 'h2', text: 'new text', at: T2 }));
    const history = await store.history(leadId!);
    expect(history.map((h) => [h.event, h.content_hash])).toEqual([
      ['created', 'h1'],
      ['changed', 'h2'],
      ['gone', null],
      ['back', 'h2'],
    ]);
    expect(history[2]!.at).toBe(T2);
  });

  it('saveClassification makes one lead per page even when 20 writers race', async () => {
    const { pageId } = await store.recordFetched(fetched());
    const page = (await store.page(pageId))!;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.saveClassification(page, verdict(0.8), 'c1', T0)),
    );
    const leads = await store.leads();
    expect(leads).toHaveLength(1);
    expect(results.every((r) => r.leadId === leads[0]!.id)).toBe(true);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(leads[0]!.cluster_id).toBe(leads[0]!.id);
  });

  it('pageToClassify reads the page with its lead id; saveClassification then skips the lookup, races included', async () => {
    const { pageId } = await store.recordFetched(
      fetched({ listing: { title: 'Мефедрон', price: '10', currency: 'USD' } as never }),
    );
    const full = (await store.page(pageId))!;
    const before = (await store.pageToClassify(pageId))!;
    expect(before).toEqual({
      id: full.id,
      site_id: full.site_id,
      url: full.url,
      title: full.title,
      text: full.text,
      listing: full.listing,
      found_via: full.found_via,
      content_hash: full.content_hash,
      lead_id: null,
    });
    expect(await store.pageToClassify(pageId + 1000)).toBeUndefined();
    // Below the threshold and no lead: nothing is written.
    expect(await store.saveClassification(before, verdict(0.1), 'c1', T0)).toEqual({
      leadId: null,
      created: false,
    });
    // Read before another worker made the lead: ours finds it, does not make a second one.
    const other = await store.saveClassification(full, verdict(0.8), 'c1', T0);
    expect(other.created).toBe(true);
    expect(await store.saveClassification(before, verdict(0.9), 'c1', T1)).toEqual({
      leadId: other.leadId,
      created: false,
    });
    const after = (await store.pageToClassify(pageId))!;
    expect(after.lead_id).toBe(other.leadId);
    expect(await store.saveClassification(after, verdict(0.3), 'c2', T2)).toEqual({
      leadId: other.leadId,
      created: false,
    });
    expect(await store.leads()).toHaveLength(1);
    expect((await store.lead(other.leadId!))!).toMatchObject({ score: 0.3, last_seen: T1, crawl_id: 'c2' });
    expect((await store.history(other.leadId!)).map((h) => [h.event, h.score])).toEqual([
      ['created', 0.8],
      ['changed', 0.9],
      ['changed', 0.3],
    ]);
    // 20 workers that all read the page before any lead existed: still one lead, created once.
    const { pageId: second } = await store.recordFetched(fetched({ url: 'http://shop.test/item/2' }));
    const read = (await store.pageToClassify(second))!;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.saveClassification(read, verdict(0.8), 'c1', T0)),
    );
    const leads = (await store.leads()).filter((l) => l.page_id === second);
    expect(leads).toHaveLength(1);
    expect(results.every((r) => r.leadId === leads[0]!.id)).toBe(true);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('keeps the analyst status and first_seen across updates; a page below the threshold keeps its lead', async () => {
    const { pageId, leadId } = await leadFor('http://shop.test/item/1', []);
    await storeDb(store).updateTable('leads').set({ status: 'confirmed' }).where('id', '=', leadId).execute();
    const page = (await store.page(pageId))!;
    expect(await store.saveClassification(page, verdict(0.9), 'c2', T1)).toEqual({ leadId, created: false });
    let lead = (await store.lead(leadId))!;
    expect(lead).toMatchObject({
      status: 'confirmed',
      score: 0.9,
      first_seen: T0,
      last_seen: T1,
      crawl_id: 'c2',
    });
    await store.saveClassification(page, verdict(0.2), 'c3', T2);
    lead = (await store.lead(leadId))!;
    expect(lead).toMatchObject({ status: 'confirmed', score: 0.2, last_seen: T1 });
    // A page that never crossed the threshold has no lead.
    const other = await store.recordFetched(fetched({ url: 'http://shop.test/news' }));
    const res = await store.saveClassification((await store.page(other.pageId))!, verdict(0.1), 'c1', T0);
    expect(res).toEqual({ leadId: null, created: false });
  });

  it('leads() filters by status, site, since, minScore and limit, best first', async () => {
    const a = await leadFor('http://shop.test/a', [], 0.9);
    const b = await leadFor('http://shop.test/b', [], 0.6, { at: T1 });
    const c = await leadFor('http://other.test/c', [], 0.7, { siteId: 'other', at: T2 });
    await storeDb(store)
      .updateTable('leads')
      .set({ status: 'dismissed' })
      .where('id', '=', b.leadId)
      .execute();
    const ids = async (f: Parameters<Store['leads']>[0]) => (await store.leads(f)).map((l) => l.id);
    expect(await ids({})).toEqual([a.leadId, c.leadId, b.leadId]);
    expect(await ids({ status: ['dismissed'] })).toEqual([b.leadId]);
    expect(await ids({ status: ['new', 'confirmed'] })).toEqual([a.leadId, c.leadId]);
    expect(await ids({ siteId: ['other'] })).toEqual([c.leadId]);
    expect(await ids({ since: T1 })).toEqual([c.leadId, b.leadId]);
    expect(await ids({ since: '2025-03-03' })).toEqual([c.leadId]);
    expect(await ids({ minScore: 0.7 })).toEqual([a.leadId, c.leadId]);
    expect(await ids({ limit: 2 })).toEqual([a.leadId, c.leadId]);
    expect(await ids({ siteId: ['shop'], minScore: 0.5, limit: 1 })).toEqual([a.leadId]);
    const lead = (await store.lead(a.leadId))!;
    expect(typeof lead.score).toBe('number');
    expect(typeof lead.id).toBe('number');
  });

  it('crawlCounts counts pages, failures, leads and new leads of a crawl as numbers', async () => {
    await store.startCrawl('c1', ['shop'], T0);
    await leadFor('http://shop.test/a', [], 0.9);
    await leadFor('http://shop.test/b', [], 0.2);
    await store.recordFailure({
      crawlId: 'c1',
      siteId: 'shop',
      url: 'http://shop.test/x',
      status: 500,
      state: 'failed',
      reason: 'http-error',
      message: 'HTTP 500',
      foundVia: 'seed',
      depth: 1,
      at: T0,
    });
    expect(await store.crawlCounts('c1')).toEqual({ pages: 2, failed: 1, leads: 1, newLeads: 1 });
    await store.finishCrawl('c1', T0, { ok: true });

    await store.startCrawl('c2', ['shop'], T1);
    await leadFor('http://shop.test/a', [], 0.9, { crawlId: 'c2', at: T1 });
    await leadFor('http://shop.test/c', [], 0.8, { crawlId: 'c2', at: T1 });
    expect(await store.crawlCounts('c2')).toEqual({ pages: 2, failed: 0, leads: 2, newLeads: 1 });
    expect(await store.crawlCounts('nope')).toEqual({ pages: 0, failed: 0, leads: 0, newLeads: 0 });
    const crawl = await storeDb(store)
      .selectFrom('crawls')
      .selectAll()
      .where('id', '=', 'c1')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(crawl.summary!)).toEqual({ ok: true });
  });

  it('stores each identifier once across pages and re-crawls, and counts its leads', async () => {
    const btc = id('btc', 'bc1qshared');
    const a = await leadFor('http://shop.test/a', [btc, id('telegram', 'dealer_a', true)]);
    const b = await leadFor('http://shop.test/b', [btc]);
    await leadFor('http://shop.test/a', [btc, id('telegram', 'dealer_a', true)], 0.8, { at: T1 });
    const rows = await storeDb(store)
      .selectFrom('identifiers')
      .selectAll()
      .where('value', '=', 'bc1qshared')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ first_seen: T0, last_seen: T1 });
    expect(await storeDb(store).selectFrom('page_identifiers').select('page_id').execute()).toHaveLength(3);
    expect((await store.pageIdentifiers(a.pageId)).map((i) => `${i.type}:${i.value}`)).toEqual([
      'btc:bc1qshared',
      'telegram:dealer_a',
    ]);
    const edge = await storeDb(store)
      .selectFrom('page_identifiers')
      .innerJoin('identifiers', 'identifiers.id', 'page_identifiers.identifier_id')
      .select(['deobfuscated'])
      .where('identifiers.value', '=', 'dealer_a')
      .executeTakeFirstOrThrow();
    expect(edge.deobfuscated).toBe(1);

    const stats = await store.identifiers();
    expect(stats[0]).toMatchObject({ type: 'btc', value: 'bc1qshared', leads: 2, pages: 2, clusters: 1 });
    expect(stats.map((s) => s.value)).toEqual(['bc1qshared', 'dealer_a']);
    expect(await store.identifiers({ minLeads: 2 })).toHaveLength(1);
    expect(await store.identifiers({ type: ['telegram'] })).toHaveLength(1);
    expect(await store.identifiers({ limit: 1 })).toHaveLength(1);
    const found = (await store.findIdentifier('bc1qshared'))!;
    expect(found.type).toBe('btc');
    expect(await store.findIdentifier('bc1qshared', 'eth')).toBeUndefined();
    expect((await store.leadsWithIdentifier(found.id)).map((l) => l.id)).toEqual([a.leadId, b.leadId]);
  });

  it('identifiersByPage maps many pages to their identifiers', async () => {
    const a = await store.recordFetched(
      fetched({ url: 'http://shop.test/a', identifiers: [id('btc', 'x1')] }),
    );
    const b = await store.recordFetched(
      fetched({ url: 'http://shop.test/b', identifiers: [id('btc', 'x1'), id('card', '4111111111111111')] }),
    );
    const c = await store.recordFetched(fetched({ url: 'http://shop.test/c' }));
    const map = await store.identifiersByPage([a.pageId, b.pageId, c.pageId]);
    expect(map.get(a.pageId)).toEqual(['btc:x1']);
    expect(map.get(b.pageId)).toEqual(['btc:x1', 'card:4111111111111111']);
    expect(map.has(c.pageId)).toBe(false);
    expect((await store.identifiersByPage([])).size).toBe(0);
  });

  it('links leads that share identifiers pairwise into one cluster', async () => {
    const a = await leadFor('http://shop.test/a', [id('btc', 'x')]);
    const b = await leadFor('http://shop.test/b', [id('btc', 'x'), id('telegram', 'y')]);
    const c = await leadFor('http://other.test/c', [id('telegram', 'y')], 0.7, { siteId: 'other', at: T1 });
    const lone = await leadFor('http://shop.test/lone', [id('btc', 'z')]);
    const clusters = async () =>
      Object.fromEntries((await store.leads()).map((l) => [l.id, l.cluster_id])) as Record<number, number>;
    const all = await clusters();
    expect([all[a.leadId], all[b.leadId], all[c.leadId]]).toEqual([a.leadId, a.leadId, a.leadId]);
    expect(all[lone.leadId]).toBe(lone.leadId);

    const view = (await store.cluster(a.leadId))!;
    expect(view.clusterId).toBe(a.leadId);
    expect(view.leads.map((l) => l.id)).toEqual([a.leadId, b.leadId, c.leadId]);
    expect(view.leads[2]).toMatchObject({
      siteId: 'other',
      url: 'http://other.test/c',
      score: 0.7,
      lastSeen: T1,
    });
    expect(view.sites).toEqual(['other', 'shop']);
    expect(view.identifiers).toEqual([
      { type: 'btc', value: 'x', validated: 'syntax', leads: 2 },
      { type: 'telegram', value: 'y', validated: 'syntax', leads: 2 },
    ]);
    expect(view.firstSeen).toBe(T0);
    expect(view.lastSeen).toBe(T1);
    expect(await store.cluster(999_999)).toBeNull();
  });

  it('merges two existing clusters when a lead bridges them', async () => {
    const a1 = await leadFor('http://shop.test/a1', [id('btc', 'x')]);
    const a2 = await leadFor('http://shop.test/a2', [id('btc', 'x')]);
    const b1 = await leadFor('http://shop.test/b1', [id('eth', 'y')]);
    const b2 = await leadFor('http://shop.test/b2', [id('eth', 'y')]);
    expect((await store.lead(b2.leadId))!.cluster_id).toBe(b1.leadId);
    const bridge = await leadFor('http://shop.test/bridge', [id('eth', 'y'), id('btc', 'x')]);
    for (const l of [a1, a2, b1, b2, bridge])
      expect((await store.lead(l.leadId))!.cluster_id).toBe(a1.leadId);
    expect((await store.cluster(a1.leadId))!.leads).toHaveLength(5);
    expect(await store.cluster(b1.leadId)).toBeNull();
  });

  it('keeps clusters whole when many linked leads are written at once', async () => {
    // A chain: lead i shares one identifier with lead i+1.
    const n = 12;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        leadFor(`http://shop.test/chain/${i}`, [id('btc', `k${i}`), id('btc', `k${i + 1}`)]),
      ),
    );
    const leads = await store.leads();
    expect(leads).toHaveLength(n);
    // One cluster, named by the lead that started it: saved side by side, that need not be the smallest.
    const clusters = new Set(leads.map((l) => l.cluster_id));
    expect(clusters.size).toBe(1);
    expect(leads.map((l) => l.id)).toContain([...clusters][0]);
  });

  it('never links leads through an ignored identifier', async () => {
    const a = await leadFor('http://shop.test/a', [id('telegram', 'market_support')]);
    const b = await leadFor('http://shop.test/b', [id('telegram', 'market_support')]);
    expect((await store.lead(a.leadId))!.cluster_id).toBe(a.leadId);
    expect((await store.lead(b.leadId))!.cluster_id).toBe(b.leadId);
    expect(await store.findIdentifier('market_support')).toBeUndefined();
    expect(await store.pageIdentifiers(a.pageId)).toEqual([]);
  });

  it('claims a pivot once per (site, identifier) across crawls and within the daily budget', async () => {
    const ids: number[] = [];
    for (const v of ['p1', 'p2', 'p3', 'p4']) {
      const { pageId } = await store.recordFetched(
        fetched({ url: `http://shop.test/${v}`, identifiers: [id('btc', v)] }),
      );
      ids.push((await store.pageIdentifiers(pageId))[0]!.id);
    }
    const claim = (i: number, crawl: string, at: string, site = 'search', max = 2) =>
      store.claimPivot(site, ids[i]!, `http://search.test/?q=${i}`, crawl, at, max);
    expect(await claim(0, 'c1', T0)).toBe(true);
    expect(await claim(0, 'c1', T0)).toBe(true); // the same crawl may re-enqueue after a crash
    expect(await claim(0, 'c2', T0)).toBe(false); // never again in another crawl
    expect(await claim(0, 'c2', T0, 'search2')).toBe(true); // another site is its own
    expect(await claim(1, 'c1', T0)).toBe(true);
    expect(await claim(2, 'c1', T0)).toBe(false); // budget of 2 a day spent
    expect(await claim(2, 'c3', T2)).toBe(true); // more than a day later
    expect(await storeDb(store).selectFrom('pivots').select('site_id').execute()).toHaveLength(4);
  });

  it('concurrent pivot claims never overrun the budget', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { pageId } = await store.recordFetched(
        fetched({ url: `http://shop.test/q${i}`, identifiers: [id('btc', `q${i}`)] }),
      );
      ids.push((await store.pageIdentifiers(pageId))[0]!.id);
    }
    const results = await Promise.all(
      ids.map((identifierId, i) =>
        store.claimPivot('search', identifierId, `http://s.test/${i}`, 'c1', T0, 3),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
  });
});
