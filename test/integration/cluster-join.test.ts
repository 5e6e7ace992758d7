import { afterEach, beforeEach, expect, it } from 'vitest';
import { clusterLead } from '../../src/leads/clusters.ts';
import type { Store } from '../../src/leads/index.ts';
import { storeDb } from '../../src/leads/store.ts';
import { type TestDb, testDb } from '../helpers/db.ts';
import { fetched, identifier, T0, verdict } from '../helpers/records.ts';
import { needsPostgres } from '../helpers/requirements.ts';

const wallet = identifier('btc', 'bc1qseller0wallet');
const sale = verdict(true);
const listing = (i: number) => fetched('market', `http://market.test/item${i}`, [wallet]);

// A crawl meets a seller's listings side by side; on PostgreSQL their saves used to queue on the
// seller's wallet lock, each waiting for the other's whole transaction.
needsPostgres('joining a cluster on PostgreSQL', () => {
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
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let joined!: () => void;
    const inside = new Promise<void>((r) => {
      joined = r;
    });
    const held = storeDb(store)
      .transaction()
      .execute(async (tx) => {
        const lead = await tx
          .insertInto('leads')
          .values({
            page_id: pages[2]!,
            site_id: 'market',
            url: 'http://market.test/item2',
            title: 'item 2',
            score: 0.8,
            kind: 'sale',
            category: 'synthetic',
            substances: '[]',
            reasons: '[]',
            lexicon_version: 'v1',
            crawl_id: 'c1',
            found_via: 'link',
            first_seen: T0,
            last_seen: T0,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        expect(await clusterLead(tx, { id: lead.id, page_id: pages[2]!, site_id: 'market' })).toBe(
          first.leadId,
        );
        joined();
        await released;
      });
    await inside;
    const outcome = await Promise.race([
      save(pages[3]!).then(() => 'saved'),
      new Promise((r) => setTimeout(() => r('blocked'), 3000)),
    ]);
    release();
    await held;
    expect(outcome).toBe('saved');
    const leads = await store.leads();
    expect(leads).toHaveLength(4);
    expect(new Set(leads.map((l) => l.cluster_id))).toEqual(new Set([first.leadId]));
  });
});
