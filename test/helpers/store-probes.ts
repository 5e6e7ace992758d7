/** Ways for PostgreSQL tests to watch or hold a store's writes: counting its statements, holding a save open. */
import type { Insertable, Kysely } from 'kysely';
import pg from 'pg';
import { clusterLead } from '../../src/leads/clusters.ts';
import type { Store } from '../../src/leads/index.ts';
import type { Database, LeadsTable } from '../../src/leads/schema.ts';
import { storeDb } from '../../src/leads/store.ts';

/**
 * From now on, counts the statements `store` runs through kysely (not BEGIN and COMMIT): the store
 * keeps its query builder private to src/leads, so this swaps it for one that counts. A transaction
 * begun before keeps the handle it had.
 */
export function countStatements(store: Store): () => number {
  let n = 0;
  (store as unknown as { db: Kysely<Database> }).db = storeDb(store).withPlugin({
    transformQuery: (a) => a.node,
    transformResult: async (a) => {
      n++;
      return a.result;
    },
  });
  return () => n;
}

/**
 * From now on until `stop()`, records the text of every query this process sends to PostgreSQL, BEGIN
 * and COMMIT included (each is a round trip); the queries still run.
 */
export function recordQueries(): { sent: string[]; stop(): void } {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text: string };
    sent.push(typeof first === 'string' ? first : first.text);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return {
    sent,
    stop: () => {
      pg.Client.prototype.query = query;
    },
  };
}

/**
 * Saves a lead by hand (`row`, then `clusterLead`) in a transaction that stays open, its locks held,
 * until `release()`; `inside` settles with the cluster it joined once it has.
 */
export function holdSave(store: Store, row: Insertable<LeadsTable>) {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let joined!: (cluster: number) => void;
  const inside = new Promise<number>((r) => {
    joined = r;
  });
  const done = storeDb(store)
    .transaction()
    .execute(async (tx) => {
      const lead = await tx.insertInto('leads').values(row).returning('id').executeTakeFirstOrThrow();
      joined(await clusterLead(tx, { id: lead.id, page_id: row.page_id, site_id: row.site_id }));
      await released;
    });
  return { inside, release, done };
}
