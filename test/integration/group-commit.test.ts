import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Identifier } from '../../src/extract/index.ts';
import type { FetchedRecord, Store } from '../../src/leads/index.ts';
import { type TestDb, testDb } from '../helpers/db.ts';

const T0 = '2025-03-01T10:00:00.000Z';

const wallet = (n: number): Identifier => ({
  type: 'btc',
  value: `bc1qgroupcommit${n % 7}`,
  span: [0, 14],
  validated: 'syntax',
  deobfuscated: false,
});

const record = (i: number): FetchedRecord => ({
  crawlId: 'c1',
  siteId: 'shop',
  url: `http://shop.test/item/${i}`,
  finalUrl: `http://shop.test/item/${i}`,
  status: 200,
  contentHash: `h${i}`,
  title: `Item ${i}`,
  text: `listing ${i}`,
  listing: null,
  lang: 'ru',
  identifiers: [wallet(i)],
  fetchedVia: 'http',
  robots: 'obey',
  foundVia: 'seed',
  depth: 0,
  at: T0,
});

/** A second connection to the store's file: what another worker process sees (and locks). */
function otherConnection(tdb: TestDb): SQLite.Database {
  return new SQLite(join(tdb.dataDir, 'store.sqlite'));
}

describe('group commit on a SQLite file', () => {
  const opened: Array<{ tdb: TestDb; store: Store }> = [];
  const open = async () => {
    const tdb = await testDb('sqlite');
    const store = await tdb.open();
    opened.push({ tdb, store });
    return { tdb, store };
  };

  afterEach(async () => {
    for (const { tdb, store } of opened.splice(0)) {
      await store.close();
      await tdb.drop();
    }
  });

  it('commits concurrent jobs in few transactions, each settling only once its rows are committed', async () => {
    const { tdb, store } = await open();
    const before = store.writeStats();
    const other = otherConnection(tdb);
    try {
      const seenAtSettle: boolean[] = [];
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const { pageId } = await store.recordFetched(record(i));
          // Another connection sees the page the moment its write settles: it is committed, not pending.
          seenAtSettle.push(other.prepare('select 1 from pages where id = ?').get(pageId) !== undefined);
        }),
      );
      expect(seenAtSettle).toHaveLength(60);
      expect(seenAtSettle.every(Boolean)).toBe(true);
      const stats = store.writeStats()!;
      expect(stats.writes - before!.writes).toBe(60);
      // 60 writes at once: a handful of transactions, not 60.
      expect(stats.commits - before!.commits).toBeLessThanOrEqual(6);
      const links = other.prepare('select count(*) n from page_identifiers').get() as { n: number };
      expect(links.n).toBe(60);
    } finally {
      other.close();
    }
  });

  it('rolls a failing write back alone: the others in its batch commit', async () => {
    const { tdb, store } = await open();
    const results = await Promise.allSettled([
      store.recordFetched(record(1)),
      store.write(async (tx) => {
        await sql`insert into crawls (id, started_at, sites) values ('doomed', ${T0}, '[]')`.execute(tx);
        throw new Error('this job fails after writing');
      }),
      store.recordFetched(record(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('this job fails after writing');
    const other = otherConnection(tdb);
    try {
      expect(other.prepare(`select count(*) n from crawls where id = 'doomed'`).get()).toEqual({ n: 0 });
      const urls = (other.prepare('select url from pages order by url').all() as { url: string }[]).map(
        (r) => r.url,
      );
      expect(urls).toContain('http://shop.test/item/1');
      expect(urls).toContain('http://shop.test/item/2');
    } finally {
      other.close();
    }
  });

  it('waits for another process’s write lock without blocking the event loop, then commits', async () => {
    const { tdb, store } = await open();
    await store.recordFetched(record(0)); // the schema and file are warm
    const busyBefore = store.writeStats()!.busyWaits;
    const other = otherConnection(tdb);
    try {
      other.exec('BEGIN IMMEDIATE'); // another worker process holds the write lock
      let settled = false;
      const write = store.recordFetched(record(1)).then((r) => {
        settled = true;
        return r;
      });
      // The event loop keeps turning while the write waits: timers fire on time.
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      await new Promise((r) => setTimeout(r, 400));
      clearInterval(ticker);
      expect(ticks).toBeGreaterThanOrEqual(20);
      expect(settled).toBe(false);
      expect(store.writeStats()!.busyWaits).toBeGreaterThan(busyBefore);
      other.exec('COMMIT');
      const { pageId } = await write;
      expect(other.prepare('select url from pages where id = ?').get(pageId)).toEqual({
        url: 'http://shop.test/item/1',
      });
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('claims pivots, records crawls and analysts’ decisions through the group commit too: no wait on the lock blocks the event loop', async () => {
    const { tdb, store } = await open();
    const { pageId } = await store.recordFetched(record(0));
    const identifierId = (await store.pageIdentifiers(pageId))[0]!.id;
    await store.startCrawl('c1', ['shop'], T0);
    const analyst = await store.analysts.insert('aigerim', null);
    const other = otherConnection(tdb);
    try {
      other.exec('BEGIN IMMEDIATE');
      // Before, these ran in transactions of their own: SQLite's busy handler slept on the lock with the
      // thread, so the other connection could not commit (nor a timer fire) until it gave up.
      const writes = Promise.all([
        store.claimPivot('search', identifierId, 'http://search.test/?q=x', 'c1', T0, 5),
        store.startCrawl('c2', ['shop'], T0),
        store.markCrawl('c1', 'cancelled', 'test', T0),
        store.triage.audit({ analyst, action: 'note', note: 'while a worker writes' }),
        store.analysts.disable(analyst.id, T0),
      ]);
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      await new Promise((r) => setTimeout(r, 400));
      clearInterval(ticker);
      expect(ticks).toBeGreaterThanOrEqual(20);
      other.exec('COMMIT');
      expect((await writes).slice(0, 3)).toEqual([true, undefined, true]);
      expect(other.prepare('select action, note from audit').all()).toEqual([
        { action: 'note', note: 'while a worker writes' },
      ]);
      expect(other.prepare('select disabled_at from analysts').get()).toEqual({ disabled_at: T0 });
      expect(other.prepare('select crawl_id from pivots').all()).toEqual([{ crawl_id: 'c1' }]);
      expect(other.prepare('select id, state from crawls order by id').all()).toEqual([
        { id: 'c1', state: 'cancelled' },
        { id: 'c2', state: 'running' },
      ]);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });
});
