import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/leads/index.ts';
import { type TestDb, testDb } from '../helpers/db.ts';
import { fetched, identifier, T0, verdict } from '../helpers/records.ts';
import { repoRoot } from '../helpers/runtime.ts';

const wallet = identifier('btc', 'bc1qkillwallet');
const sale = verdict(true);
const record = (url: string) => fetched('shop', url, [wallet], { title: 'Item', foundVia: 'seed', depth: 0 });

/**
 * Classifies page `PAGE` in a separate process, as a classify worker would, and SIGKILLs that process
 * right after its `KILL_AT`-th statement (0: never): a worker dying between any two writes. Prints how
 * many statements the save ran when it is not killed.
 */
function saveInChild(
  tdb: TestDb,
  pageId: number,
  killAt: number,
): Promise<{ signal: string | null; out: string }> {
  const script = `
    const { register } = await import('tsx/esm/api');
    register();
    const { Store } = await import('./src/leads/index.ts');
    const store = await Store.open(process.env.URL, process.env.DIR);
    const killAt = Number(process.env.KILL_AT);
    let n = 0;
    // The store keeps its query builder private to src/leads; this child swaps it for one that counts.
    store.db = store.db.withPlugin({
      transformQuery: (a) => a.node,
      transformResult: async (a) => {
        if (++n === killAt) process.kill(process.pid, 'SIGKILL');
        return a.result;
      },
    });
    const page = await store.pageToClassify(Number(process.env.PAGE));
    n = 0;
    await store.saveClassification(page, JSON.parse(process.env.VERDICT), 'c1', '${T0}');
    process.stdout.write(String(n));
    await store.close();`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          URL: tdb.url,
          DIR: tdb.dataDir,
          PAGE: String(pageId),
          KILL_AT: String(killAt),
          VERDICT: JSON.stringify(sale),
          LOG_LEVEL: 'silent',
        },
      },
      (err, stdout) => resolve({ signal: err?.signal ?? null, out: stdout }),
    );
  });
}

describe('a classify worker killed between any two writes of a save (SQLite file)', () => {
  const dbs: TestDb[] = [];

  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.drop();
  });

  /** A store with one lead on the wallet and a second page carrying it, not yet classified. */
  const prepared = async () => {
    const tdb = await testDb('sqlite');
    dbs.push(tdb);
    const store = await tdb.open();
    const first = await store.recordFetched(record('http://shop.test/1'));
    const { leadId } = await store.saveClassification(
      (await store.pageToClassify(first.pageId))!,
      sale,
      'c1',
      T0,
    );
    const second = await store.recordFetched(record('http://shop.test/2'));
    await store.close();
    return { tdb, pageId: second.pageId, firstLead: leadId! };
  };

  /** Every lead has exactly one `created` event, one lead per page, and the page's lead sits in the wallet's cluster. */
  const expectWhole = async (store: Store, firstLead: number) => {
    const leads = await store.leads();
    expect(new Set(leads.map((l) => l.page_id)).size).toBe(leads.length);
    for (const l of leads) {
      const created = (await store.history(l.id)).filter((e) => e.event === 'created');
      expect(created, `lead ${l.id}`).toHaveLength(1);
      expect(l.cluster_id).toBe(firstLead);
    }
    return leads.length;
  };

  it('leaves the lead with its cluster and created event, or nothing; the retried job then completes it', {
    timeout: 120_000,
  }, async () => {
    const full = await prepared();
    const done = await saveInChild(full.tdb, full.pageId, 0);
    expect(done.signal).toBeNull();
    const statements = Number(done.out);
    expect(statements).toBeGreaterThan(2);
    const check = await full.tdb.open();
    expect(await expectWhole(check, full.firstLead)).toBe(2);
    await check.close();

    for (let killAt = 1; killAt <= statements; killAt++) {
      const { tdb, pageId, firstLead } = await prepared();
      const killed = await saveInChild(tdb, pageId, killAt);
      expect(killed.signal, `killed after statement ${killAt}`).toBe('SIGKILL');
      const store = await tdb.open();
      try {
        // Killed before the commit: all of the save is gone, none of it half there.
        expect(await expectWhole(store, firstLead), `after statement ${killAt}`).toBe(1);
        // The job is retried (here in this process): one lead, created once, in the wallet's cluster.
        const again = await store.saveClassification((await store.pageToClassify(pageId))!, sale, 'c1', T0);
        expect(again.created).toBe(true);
        expect(await expectWhole(store, firstLead)).toBe(2);
      } finally {
        await store.close();
      }
    }
  });
});
