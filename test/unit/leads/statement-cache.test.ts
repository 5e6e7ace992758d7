import SQLite from 'better-sqlite3';
import { type Generated, Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { cachingStatements } from '../../../src/leads/open.ts';

describe('SQLite statement cache', () => {
  let sqlite: SQLite.Database;

  afterEach(() => {
    if (sqlite?.open) sqlite.close();
  });

  const fresh = () => {
    sqlite = new SQLite(':memory:');
    sqlite.exec('create table t (id integer primary key, v text)');
    return sqlite;
  };

  it('prepares each SQL text once and hands back the same statement', () => {
    const db = cachingStatements(fresh());
    const a = db.prepare('select v from t where id = ?');
    const b = db.prepare('select v from t where id = ?');
    expect(b).toBe(a);
    expect(db.prepare('select id from t')).not.toBe(a);
  });

  it('keeps at most `max` statements, dropping the least recently used', () => {
    const db = cachingStatements(fresh(), 2);
    const one = db.prepare('select 1');
    const two = db.prepare('select 2');
    expect(db.prepare('select 1')).toBe(one); // now the most recently used
    db.prepare('select 3'); // evicts `select 2`
    expect(db.prepare('select 1')).toBe(one);
    expect(db.prepare('select 2')).not.toBe(two);
  });

  it('prepares a fresh statement while the cached one is still being iterated', () => {
    const s = fresh();
    s.exec("insert into t (v) values ('a'), ('b'), ('c')");
    const db = cachingStatements(s);
    const text = 'select v from t order by id';
    const first = db.prepare(text);
    const rows = first.iterate([]);
    expect(rows.next().value).toEqual({ v: 'a' });
    const second = db.prepare(text);
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
    expect([...rows]).toEqual([{ v: 'b' }, { v: 'c' }]);
    // Done iterating: the cached one is free again.
    expect(db.prepare(text)).toBe(first);
  });

  it('sees schema changes made after a statement was cached', () => {
    const s = fresh();
    const db = cachingStatements(s);
    s.exec("insert into t (v) values ('a')");
    expect(db.prepare('select * from t').all([])).toEqual([{ id: 1, v: 'a' }]);
    s.exec("alter table t add column w text default 'x'");
    expect(db.prepare('select * from t').all([])).toEqual([{ id: 1, v: 'a', w: 'x' }]);
  });

  it('serves kysely: queries, transactions, streams, and close closes the database', async () => {
    const s = fresh();
    const k = new Kysely<{ t: { id: Generated<number>; v: string } }>({
      dialect: new SqliteDialect({ database: cachingStatements(s) }),
    });
    for (const v of ['a', 'b', 'c']) await k.insertInto('t').values({ v }).execute();
    await k.transaction().execute(async (tx) => {
      await tx.updateTable('t').set({ v: 'B' }).where('id', '=', 2).execute();
    });
    await expect(
      k.transaction().execute(async (tx) => {
        await tx.updateTable('t').set({ v: 'X' }).where('id', '=', 1).execute();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const streamed: string[] = [];
    for await (const row of k.selectFrom('t').select('v').orderBy('id').stream()) streamed.push(row.v);
    expect(streamed).toEqual(['a', 'B', 'c']);
    const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(k);
    expect(rows[0]?.n).toBe(3);
    await k.destroy();
    expect(s.open).toBe(false);
  });
});
