import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Analyst, Store } from '../../src/leads/index.ts';
import { storeDb } from '../../src/leads/store.ts';
import { addAnalyst } from '../../src/review/index.ts';
import { BACKENDS, type TestDb, testDb } from '../helpers/db.ts';
import { fetched, T0, verdict } from '../helpers/records.ts';

// Two analysts acting on one lead at the same moment. On PostgreSQL both decisions used to read the
// lead's status before either wrote, so the audit log said both changed it from `new`; two claims both
// found no claim, and the second analyst got a duplicate-key error instead of "claimed by".
describe.each(BACKENDS)('two analysts on one lead at once, on %s', (backend) => {
  let tdb: TestDb;
  let store: Store;
  let alice: Analyst;
  let bob: Analyst;
  beforeEach(async () => {
    tdb = await testDb(backend);
    store = await tdb.open();
    alice = await addAnalyst(store, 'alice', 'correct horse battery');
    bob = await addAnalyst(store, 'bob', 'correct horse battery');
  });
  afterEach(async () => {
    await store.close();
    await tdb.drop();
  });

  const lead = async (i: number) => {
    const { pageId } = await store.recordFetched(fetched('shop', `http://shop.test/${i}`, []));
    return (await store.saveClassification((await store.pageToClassify(pageId))!, verdict(true), 'c1', T0))
      .leadId!;
  };
  const decisions = async (leadId: number) =>
    (
      await storeDb(store)
        .selectFrom('audit')
        .select(['analyst', 'action', 'detail'])
        .where('lead_id', '=', leadId)
        .where('action', 'in', ['confirm', 'dismiss', 'undo'])
        .orderBy('id')
        .execute()
    ).map((r) => ({ analyst: r.analyst, action: r.action, ...JSON.parse(r.detail ?? '{}') }));

  it("the audit log chains each decision's status before to the one after the last", async () => {
    for (let i = 0; i < 10; i++) {
      const id = await lead(i);
      const [a, b] = await Promise.all([
        store.triage.decide(alice, id, 'confirm', null),
        store.triage.decide(bob, id, 'dismiss', null),
      ]);
      const log = await decisions(id);
      expect(log.map((d) => d.from)).toEqual(['new', log[0]!.to]);
      expect([a!.before, b!.before].sort()).toEqual(['new', log[0]!.to].sort());
      expect((await store.lead(id))!.status).toBe(log[1]!.to);
      // The first decider's undo is refused: the lead was decided again since.
      const first = log[0]!.analyst === 'alice' ? a! : b!;
      await expect(
        store.triage.undo(log[0]!.analyst === 'alice' ? alice : bob, first.auditId),
      ).rejects.toThrow(/decided again since/);
    }
  });

  it('one claim wins; the other analyst is told who holds the lead', async () => {
    for (let i = 0; i < 10; i++) {
      const id = await lead(i);
      const outcomes = await Promise.allSettled([store.triage.claim(alice, id), store.triage.claim(bob, id)]);
      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(refused).toHaveLength(1);
      const holder = (await store.triage.claimOf(id))!.analyst;
      expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
        new RegExp(`lead ${id} is claimed by ${holder} since`),
      );
      await Promise.all([store.triage.release(alice, id), store.triage.release(bob, id)]);
      const releases = await storeDb(store)
        .selectFrom('audit')
        .select('detail')
        .where('lead_id', '=', id)
        .where('action', '=', 'release')
        .execute();
      expect(releases.map((r) => JSON.parse(r.detail!).claimedBy)).toEqual([holder]);
    }
  });

  it('saving one filter twice at once keeps one, with the query saved last', async () => {
    await Promise.all([
      store.triage.saveFilter(alice, 'mine', 'status=new'),
      store.triage.saveFilter(alice, 'mine', 'status=new&lang=ru'),
    ]);
    const saved = await store.triage.savedFilters(alice);
    expect(saved).toHaveLength(1);
    expect(['status=new', 'status=new&lang=ru']).toContain(saved[0]!.query);
  });
});
