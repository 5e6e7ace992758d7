import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/leads/index.ts';
import { storeDb } from '../../src/leads/store.ts';
import { pgQuery, type TestDb, testDb } from '../helpers/db.ts';
import { fetched } from '../helpers/records.ts';
import { needsPostgres } from '../helpers/requirements.ts';

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
