import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../../src/leads/index.ts';
import type { Database } from '../../../src/leads/schema.ts';
import { storeDb } from '../../../src/leads/store.ts';
import { addAnalyst, checkPassword } from '../../../src/review/auth.ts';
import { decide } from '../../../src/review/decisions.ts';
import { parseFilter } from '../../../src/review/filters.ts';
import { type TestDb, testDb } from '../../helpers/db.ts';
import { needsPostgres as needs } from '../../helpers/requirements.ts';

/** The review migration and queries on PostgreSQL, in a schema of their own (skipped when no server answers). */
needs('review schema and queries on PostgreSQL', () => {
  let tdb: TestDb | undefined;
  let db: Kysely<Database> | undefined;
  let store: Store;

  beforeAll(async () => {
    try {
      tdb = await testDb('postgres');
      store = await tdb.open();
    } catch {
      return;
    }
    db = storeDb(store);
  });

  afterAll(async () => {
    await store?.close();
    await tdb?.drop();
  });

  it('migrates, searches, pages by keyset, decides and keeps the audit append-only', async (ctx) => {
    if (!db) ctx.skip();
    const at = '2024-05-01T00:00:00.000Z';
    for (let i = 0; i < 12; i++) {
      const page = await db!
        .insertInto('pages')
        .values({
          site_id: 's',
          url: `http://x/${i}`,
          final_url: null,
          status: 200,
          state: 'fetched',
          fail_reason: null,
          fail_message: null,
          content_hash: null,
          title: `t${i}`,
          text: i % 2 ? 'продаю мефедрон закладки' : 'погода в городе',
          listing: null,
          lang: 'ru',
          identifiers: '[]',
          fetched_via: 'http',
          found_via: 'seed',
          depth: 0,
          first_seen: at,
          last_fetched: at,
          crawl_id: 'c',
          robots: null,
        } as never)
        .returning('id')
        .executeTakeFirstOrThrow();
      await db!
        .insertInto('leads')
        .values({
          page_id: page.id,
          site_id: 's',
          url: `http://x/${i}`,
          title: `t${i}`,
          score: (i % 4) / 4,
          kind: 'sale',
          category: 'synthetic',
          substances: '["mephedrone"]',
          reasons: '[]',
          lexicon_version: 'v',
          found_via: 'seed',
          first_seen: at,
          last_seen: at,
          gone_at: null,
          crawl_id: 'c',
          cluster_id: null,
        })
        .execute();
    }
    const all = parseFilter(new URLSearchParams('status=all'));
    expect((await store.review.countLeads(all)).n).toBe(12);
    // The search reads titles, substances and identifiers; the page text only when asked (in_text=1).
    expect((await store.review.countLeads(parseFilter(new URLSearchParams('status=all&q=мефедрон')))).n).toBe(
      0,
    );
    expect(
      (await store.review.countLeads(parseFilter(new URLSearchParams('status=all&q=mephedrone')))).n,
    ).toBe(12);
    for (const q of ['мефедрон', 'мефедрона', 'mefedrona', 'мeфeдрон'])
      expect(
        (await store.review.countLeads(parseFilter(new URLSearchParams({ status: 'all', q, in_text: '1' }))))
          .n,
        q,
      ).toBe(6);
    expect(
      (await store.review.countLeads(parseFilter(new URLSearchParams('status=all&substance=mephedrone')))).n,
    ).toBe(12);
    const seen: number[] = [];
    let page = await store.review.queuePage(all, { limit: 5 });
    seen.push(...page.rows.map((r) => r.id));
    while (page.next) {
      page = await store.review.queuePage(all, { after: page.next, limit: 5 });
      seen.push(...page.rows.map((r) => r.id));
    }
    expect(new Set(seen).size).toBe(12);

    await addAnalyst(store, 'alice', 'correct horse battery');
    const alice = (await checkPassword(store, 'alice', 'correct horse battery'))!;
    expect(await decide(store, alice, seen[0]!, 'confirm', 'yes')).toEqual({
      status: 'confirmed',
      before: 'new',
      auditId: expect.any(Number),
    });
    await expect(sql`update audit set note = 'x'`.execute(db!)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit`.execute(db!)).rejects.toThrow(/append-only/);
  });
});
