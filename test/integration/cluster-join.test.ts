import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { clusterLead, type PageLinkRow } from '../../src/leads/clusters.ts';
import type { Store } from '../../src/leads/index.ts';
import { storeDb } from '../../src/leads/store.ts';
import { type TestDb, testDb } from '../helpers/db.ts';
import { fetched, identifier, T0, verdict } from '../helpers/records.ts';
import { needsPostgres } from '../helpers/requirements.ts';
import { countStatements, holdSave } from '../helpers/store-probes.ts';

const wallet = identifier('btc', 'bc1qseller0wallet');
const sale = verdict(true);
const listing = (i: number) => fetched('market', `http://market.test/item${i}`, [wallet]);
/** Listing `i`'s lead row, for a test that writes it by hand to hold or reorder a save's steps. */
const leadRow = (pageId: number, i: number) => ({
  page_id: pageId,
  site_id: 'market',
  url: `http://market.test/item${i}`,
  title: `item ${i}`,
  score: 0.8,
  kind: 'sale' as const,
  category: 'synthetic' as const,
  substances: '[]',
  reasons: '[]',
  lexicon_version: 'v1',
  crawl_id: 'c1',
  found_via: 'link' as const,
  first_seen: T0,
  last_seen: T0,
});

// A crawl meets a seller's listings side by side, and a market's pages all carry its footer; on
// PostgreSQL their saves used to queue on the seller's wallet lock and on the footer's counter rows,
// each waiting for the other's whole transaction.
needsPostgres('saves side by side on PostgreSQL', () => {
  let db: TestDb;
  let store: Store;
  beforeEach(async () => {
    db = await testDb('postgres');
    store = await db.open();
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  it("a seller's next listing joins its cluster while another of its listings is mid-save", async () => {
    const pages: number[] = [];
    for (let i = 0; i < 4; i++) pages.push((await store.recordFetched(listing(i))).pageId);
    const save = async (pageId: number) =>
      store.saveClassification((await store.pageToClassify(pageId))!, sale, 'c1', T0);
    const first = await save(pages[0]!);
    await save(pages[1]!);

    // Listing 2's save holds its locks, its transaction open, until released.
    const held = holdSave(store, leadRow(pages[2]!, 2));
    expect(await held.inside).toBe(first.leadId);
    const outcome = await Promise.race([
      save(pages[3]!).then(() => 'saved'),
      new Promise((r) => setTimeout(() => r('blocked'), 3000)),
    ]);
    held.release();
    await held.done;
    expect(outcome).toBe('saved');
    const leads = await store.leads();
    expect(leads).toHaveLength(4);
    expect(new Set(leads.map((l) => l.cluster_id))).toEqual(new Set([first.leadId]));
  });

  it("a seller's listings saved side by side: the one that waited for the first joins its cluster without a merge", async () => {
    const handle = identifier('telegram', '@seller0shop');
    const [a, b] = [
      await store.recordFetched(fetched('market', 'http://market.test/item0', [wallet, handle])),
      await store.recordFetched(fetched('market', 'http://market.test/item1', [wallet, handle])),
    ];
    // The pages' site counts are added up in the background a moment later: let that happen first.
    await new Promise((r) => setTimeout(r, 400));
    // The seller's first listing holds its identifiers' locks; the second reads them in no cluster.
    const held = holdSave(store, leadRow(a.pageId, 0));
    const first = await held.inside;
    const statements = countStatements(store);
    const next = store.saveClassification(b.stored!, sale, 'c1', T0);
    await new Promise((r) => setTimeout(r, 300));
    held.release();
    await held.done;
    const saved = await next;
    // The lead with its history and its links, the identifiers' locks in one statement, the links again,
    // then as a next listing: the shared locks, and the links checked with the lead's cluster set.
    expect(statements()).toBe(5);
    expect((await store.lead(saved.leadId!))!.cluster_id).toBe(first);
  });

  it("a seller's next listing, read before a merge moved its cluster, joins the cluster it merged into", async () => {
    const other = identifier('btc', 'bc1qother0wallet');
    const save = async (r: ReturnType<typeof listing>) => {
      const { pageId } = await store.recordFetched(r);
      return store.saveClassification((await store.pageToClassify(pageId))!, sale, 'c1', T0);
    };
    // Seller Y first (the smaller cluster name), then seller X.
    const y = await save(fetched('market', 'http://market.test/y0', [other]));
    const x = await save(listing(0));
    expect(x.leadId).toBeGreaterThan(y.leadId!);
    // A listing naming both wallets merges X's cluster into Y's, its transaction held open.
    const bridge = (await store.recordFetched(fetched('market', 'http://market.test/both', [wallet, other])))
      .pageId;
    // Stored now: storing it later would wait for the merge's row locks on the wallet, and read after it.
    const nextPage = (await store.pageToClassify((await store.recordFetched(listing(1))).pageId))!;
    const held = holdSave(store, { ...leadRow(bridge, 9), url: 'http://market.test/both' });
    expect(await held.inside).toBe(y.leadId);
    // X's next listing reads its wallet in X's cluster (the merge is not committed), then waits for the
    // wallet's lock; once it has it, the wallet is in Y's cluster.
    const next = store.saveClassification(nextPage, sale, 'c1', T0);
    await new Promise((r) => setTimeout(r, 300));
    held.release();
    await held.done;
    const saved = await next;
    expect((await store.lead(saved.leadId!))!.cluster_id).toBe(y.leadId);
    expect(new Set((await store.leads()).map((l) => l.cluster_id))).toEqual(new Set([y.leadId]));
  });

  it("a listing saved late joins its seller's cluster under the cluster's name, renaming nothing", async () => {
    const pages: number[] = [];
    for (let i = 0; i < 3; i++) pages.push((await store.recordFetched(listing(i))).pageId);
    const save = async (pageId: number) =>
      store.saveClassification((await store.pageToClassify(pageId))!, sale, 'c1', T0);
    // Listing 0's lead row is written first (the smaller id); its clustering comes after listing 1's save.
    const early = await storeDb(store)
      .insertInto('leads')
      .values(leadRow(pages[0]!, 0))
      .returning('id')
      .executeTakeFirstOrThrow();
    const later = await save(pages[1]!);
    expect(later.leadId).toBeGreaterThan(early.id);
    const joined = await storeDb(store)
      .transaction()
      .execute((tx) => clusterLead(tx, { id: early.id, page_id: pages[0]!, site_id: 'market' }));
    expect(joined).toBe(later.leadId);
    await save(pages[2]!);
    const leads = await store.leads();
    expect(leads).toHaveLength(3);
    expect(new Set(leads.map((l) => l.cluster_id))).toEqual(new Set([later.leadId]));
  });

  // A save reads its page's links in the statement that inserts its lead, then waits for their locks.
  // If a fold marked the footer site-wide meanwhile, the split left the footer in no cluster; the check
  // under the locks compared that null with the cluster read before, and took null for agreement.
  it('a lead whose links were read before its only identifier went site-wide names a cluster of its own', async () => {
    const footer = identifier('email', 'support@market.test');
    const page = (i: number) =>
      fetched('market', `http://market.test/page${i}`, [footer, identifier('btc', `bc1qseller${i}`)]);
    const pages: number[] = [];
    for (let i = 0; i < 20; i++) pages.push((await store.recordFetched(page(i))).pageId);
    const save = async (pageId: number) =>
      store.saveClassification((await store.pageToClassify(pageId))!, sale, 'c1', T0);
    // Not folded yet: the footer still links, and joins the two sellers' listings.
    const a = await save(pages[0]!);
    const b = await save(pages[1]!);
    const cluster = async (value: string) => (await store.findIdentifier(value))!.cluster_id;
    expect(await cluster(footer.value)).toBe(a.leadId);
    expect((await store.lead(b.leadId!))!.cluster_id).toBe(a.leadId);
    const quote = (await store.recordFetched(fetched('forum', 'http://forum.test/t2', [footer]))).pageId;
    const footerId = (await store.findIdentifier(footer.value))!.id;
    const stale: PageLinkRow[] = [[footerId, null, a.leadId!]];

    await store.foldSiteCounts();
    // On all 20 of the market's pages: site-wide there, so the two sellers split and the footer is in no cluster.
    expect(await cluster(footer.value)).toBeNull();
    expect((await store.lead(b.leadId!))!.cluster_id).toBe(b.leadId);

    const joined = await storeDb(store)
      .transaction()
      .execute(async (tx) => {
        const row = { ...leadRow(quote, 0), site_id: 'forum', url: 'http://forum.test/t2' };
        const lead = await tx.insertInto('leads').values(row).returning('id').executeTakeFirstOrThrow();
        const into = await clusterLead(tx, {
          id: lead.id,
          page_id: quote,
          site_id: 'forum',
          fresh: true,
          links: stale,
        });
        return { lead: lead.id, into };
      });
    expect(joined.into).toBe(joined.lead);
    expect((await store.lead(joined.lead))!.cluster_id).toBe(joined.lead);
    expect(await cluster(footer.value)).toBe(joined.lead);
  });

  // Every page of a market carries its footer contacts, so counting them in the page's own transaction
  // made every page save wait for the one before to commit. Saves queue their counts instead.
  it("a market's next page saves while another session holds its footer contact's counter row", async () => {
    const footer = identifier('email', 'support@market.test');
    const page = (i: number) => fetched('market', `http://market.test/page${i}`, [footer, wallet]);
    for (let i = 0; i < 25; i++) await store.recordFetched(page(i));
    await store.foldSiteCounts();
    const counts = async () => {
      const rows = await storeDb(store)
        .selectFrom('site_identifiers')
        .select(['identifier_id', 'pages', 'site_wide'])
        .orderBy('identifier_id')
        .execute();
      const site = await storeDb(store).selectFrom('site_counts').select('pages').executeTakeFirstOrThrow();
      return { site: site.pages, identifiers: rows.map((r) => [r.pages, r.site_wide]) };
    };
    expect(await counts()).toEqual({
      site: 25,
      identifiers: [
        [25, 1],
        [25, 1],
      ],
    });

    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const holding = new Promise<void>((r) => {
      locked = r;
    });
    const held = storeDb(store)
      .transaction()
      .execute(async (tx) => {
        await tx.updateTable('site_identifiers').set({ pages: sql`pages` }).execute();
        await tx.updateTable('site_counts').set({ pages: sql`pages` }).execute();
        locked();
        await released;
      });
    await holding;
    const outcome = await Promise.race([
      store.recordFetched(page(25)).then(() => 'saved'),
      new Promise((r) => setTimeout(() => r('blocked'), 3000)),
    ]);
    // The fold waits for the rows, and adds the page once they are free.
    const folded = store.foldSiteCounts();
    release();
    await held;
    await folded;
    expect(outcome).toBe('saved');
    expect(await counts()).toEqual({
      site: 26,
      identifiers: [
        [26, 1],
        [26, 1],
      ],
    });
    expect(await storeDb(store).selectFrom('site_count_deltas').selectAll().execute()).toEqual([]);
  });
});

// SQLite: a save holds the write lock from its lead's insert on, so the links it reads are current and
// a seller's listing needs no second look at them.
it("SQLite: a seller's first listing names its cluster, the next joins it, each in a few statements", async () => {
  const db = await testDb('sqlite');
  const store = await db.open();
  try {
    const handle = identifier('telegram', '@seller0shop');
    const other = identifier('btc', '1BoatSLRHtKNngkdXEeobR76b53LETtpyT');
    const pages = [
      await store.recordFetched(fetched('market', 'http://market.test/item0', [wallet, handle])),
      await store.recordFetched(fetched('market', 'http://market.test/item1', [wallet, handle])),
      await store.recordFetched(fetched('market', 'http://market.test/item2', [wallet, other])),
    ];
    const save = async (i: number) => {
      const statements = countStatements(store);
      const saved = await store.saveClassification(pages[i]!.stored!, sale, 'c1', T0);
      return { leadId: saved.leadId!, statements: statements() };
    };
    // The lead, its history, its links; then its identifiers' cluster and its own.
    const first = await save(0);
    expect(first.statements).toBe(5);
    // The lead, its history, its links; then its own cluster.
    const next = await save(1);
    expect(next.statements).toBe(4);
    // A listing that also names a new wallet goes the general way, and takes the wallet in.
    const third = await save(2);
    expect(third.statements).toBeGreaterThan(4);
    const leads = await store.leads();
    expect(leads.map((l) => l.cluster_id)).toEqual([first.leadId, first.leadId, first.leadId]);
    const wallets = await storeDb(store)
      .selectFrom('identifiers')
      .select(['value', 'cluster_id'])
      .where('type', '=', 'btc')
      .orderBy('value')
      .execute();
    expect(wallets.map((w) => w.cluster_id)).toEqual([first.leadId, first.leadId]);
  } finally {
    await store.close();
    await db.drop();
  }
});
