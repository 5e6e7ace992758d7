import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/leads/index.ts';
import { storeDb } from '../../src/leads/store.ts';
import { pgQuery, type TestDb, testDb } from '../helpers/db.ts';
import { fetched, identifier, T0, verdict } from '../helpers/records.ts';
import { needsPostgres } from '../helpers/requirements.ts';
import { countStatements, recordQueries } from '../helpers/store-probes.ts';

// One connection, so every statement below meets the same session's prepared statements.
needsPostgres('prepared statements on PostgreSQL', () => {
  let db: TestDb;
  let store: Store;
  beforeEach(async () => {
    db = await testDb('postgres');
    store = await db.open({ poolSize: 1 });
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  const prepared = async () =>
    (
      await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(storeDb(store))
    ).rows.map((r) => r.statement);

  it('prepares a statement with parameters once per connection and runs it again by name', async () => {
    const { pageId } = await store.recordFetched(fetched('shop', 'http://shop.test/1', []));
    for (let i = 0; i < 3; i++) expect((await store.page(pageId))?.url).toBe('http://shop.test/1');
    const reads = (await prepared()).filter((s) => s.includes('from "pages" where "id" = $1'));
    expect(reads).toHaveLength(1);
    // BEGIN, COMMIT and the like carry no parameters: never named.
    expect((await prepared()).some((s) => /^(begin|commit)/i.test(s))).toBe(false);
  });

  it('records a new page with its identifiers, its links and its site’s counts in one statement', async () => {
    const statements = countStatements(store);
    const counting = storeDb(store);
    const ids = [
      identifier('telegram', '@shopbot'),
      identifier('email', 'sales@shop.test'),
      { ...identifier('telegram', '@shopbot'), deobfuscated: true },
    ];
    const { pageId, changed } = await store.recordFetched(fetched('shop', 'http://shop.test/1', ids));
    expect({ statements: statements(), changed }).toEqual({ statements: 1, changed: true });
    // Each identifier once, linked as the page first wrote it.
    const links = await sql<{ value: string; deobfuscated: number }>`
      select i.value, pi.deobfuscated from page_identifiers pi join identifiers i on i.id = pi.identifier_id
      where pi.page_id = ${pageId} order by i.value`.execute(counting);
    expect(links.rows.map((r) => [r.value, Number(r.deobfuscated)])).toEqual([
      ['@shopbot', 0],
      ['sales@shop.test', 0],
    ]);
    await store.foldSiteCounts();
    const counts = await sql<{ identifier_id: number | null; pages: number }>`
      select null as identifier_id, pages from site_counts where site_id = 'shop'
      union all select identifier_id, pages from site_identifiers where site_id = 'shop'`.execute(counting);
    expect(counts.rows.map((r) => r.pages)).toEqual([1, 1, 1]);
    // A URL stored already goes the way of a recrawl: updated, its links kept, counted once.
    const later = '2025-03-02T10:00:00.000Z';
    const again = await store.recordFetched(
      fetched('shop', 'http://shop.test/1', ids, { contentHash: 'h:new', at: later }),
    );
    expect(again).toEqual({ pageId, changed: true });
    expect((await store.identifiers()).map((i) => [i.value, i.first_seen, i.last_seen]).sort()).toEqual([
      ['@shopbot', T0, later],
      ['sales@shop.test', T0, later],
    ]);
    await store.foldSiteCounts();
    const after = await sql<{ pages: number }>`
      select pages from site_counts where site_id = 'shop'
      union all select pages from site_identifiers where site_id = 'shop'`.execute(counting);
    expect(after.rows.map((r) => r.pages)).toEqual([1, 1, 1]);
    expect((await store.page(pageId))?.fetch_count).toBe(2);
  });

  it('saves a seller’s first listing, naming its cluster, in four statements', async () => {
    const ids = [identifier('btc', 'bc1qnewsellerwallet'), identifier('telegram', '@newseller')];
    const { stored } = await store.recordFetched(fetched('shop', 'http://shop.test/1', ids));
    const statements = countStatements(store);
    const { leadId } = await store.saveClassification(stored!, verdict(true), 'c1', T0);
    // The lead with its history and its links (in no cluster), their locks, the links again under
    // them, and the lead's cluster with its identifiers (BEGIN and COMMIT besides).
    expect(statements()).toBe(4);
    expect((await store.lead(leadId!))!.cluster_id).toBe(leadId);
    const rows = await storeDb(store).selectFrom('identifiers').select(['value', 'cluster_id']).execute();
    expect(rows.map((i) => [i.value, i.cluster_id]).sort()).toEqual([
      ['@newseller', leadId],
      ['bc1qnewsellerwallet', leadId],
    ]);
  });

  it('saves a seller’s next listing into the seller’s cluster in three statements', async () => {
    const wallet = identifier('btc', 'bc1qsellerwallet');
    const first = await store.recordFetched(fetched('shop', 'http://shop.test/1', [wallet]));
    const one = await store.saveClassification(
      (await store.pageToClassify(first.pageId))!,
      verdict(true),
      'c1',
      T0,
    );
    const next = await store.recordFetched(fetched('shop', 'http://shop.test/2', [wallet]));
    const page = (await store.pageToClassify(next.pageId))!;
    const statements = countStatements(store);
    const two = await store.saveClassification(page, verdict(true), 'c1', T0);
    // The lead with its history and its links with their clusters, the shared locks, then the links
    // checked again under them with the lead's cluster set (BEGIN and COMMIT besides).
    expect({ statements: statements(), created: two.created }).toEqual({ statements: 3, created: true });
    const leads = await Promise.all([store.lead(one.leadId!), store.lead(two.leadId!)]);
    expect(leads[1]!.cluster_id).toBe(leads[0]!.cluster_id);
    expect(leads[0]!.cluster_id).not.toBeNull();
    // The history row went in with the lead, typed as appendLeadEvent writes it.
    const history = await store.history(two.leadId!);
    expect(history).toMatchObject([
      {
        event: 'created',
        at: T0,
        score: 0.8,
        category: 'synthetic',
        content_hash: page.content_hash,
        lexicon_version: 'v1',
      },
    ]);
    expect(await store.history(one.leadId!)).toMatchObject([{ event: 'created', score: 0.8 }]);
  });

  it('writes a capture, notes it seen again and seals it in one round trip each, without a transaction', async () => {
    const { pageId } = await store.recordFetched(fetched('shop', 'http://shop.test/1', []));
    const { leadId } = await store.saveClassification(
      (await store.pageToClassify(pageId))!,
      verdict(true),
      'c1',
      T0,
    );
    // What reaches the server, BEGIN and COMMIT included.
    const queries = recordQueries();
    try {
      const facts = { payloadSha256: 'p'.repeat(64), fetcher: 'http', capturedAt: T0 };
      const row = await store.captures.insert({
        pageId,
        facts,
        textSha256: 't'.repeat(64),
        warcSha256: 'w'.repeat(64),
        screenshotSha256: null,
        files: [],
      });
      await store.captures.touch(row!.id, '2025-03-02T10:00:00.000Z');
      const sealed = await store.captures.seal(row!.id, {
        leadId: leadId!,
        screenshotSha256: null,
        manifestSha256: 'm'.repeat(64),
        sealedAt: T0,
        files: [],
      });
      expect(sealed).toBe(true);
    } finally {
      queries.stop();
    }
    expect(queries.sent.map((q) => q.trim().split(/\s/)[0]!.toLowerCase())).toEqual([
      'insert',
      'update',
      'update',
    ]);
    expect((await store.captures.ofLead(leadId!)).map((c) => c.last_seen_at)).toEqual([
      '2025-03-02T10:00:00.000Z',
    ]);
  });

  it('replaces a connection whose statement no longer fits the schema', async () => {
    const { pageId } = await store.recordFetched(fetched('shop', 'http://shop.test/1', []));
    await store.page(pageId);
    const schema = new URL(db.url).searchParams.get('schema');
    // Another process migrates: `select *` now returns one more column than the prepared statement.
    await pgQuery(`alter table "${schema}".pages add column extra integer`);
    await expect(store.page(pageId)).rejects.toThrow(/cached plan must not change result type/);
    const page = (await store.page(pageId)) as Record<string, unknown> | undefined;
    expect(page).toMatchObject({ url: 'http://shop.test/1', extra: null });
  });
});
