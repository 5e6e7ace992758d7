import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Store, type StoreOptions } from '../../src/leads/index.ts';
import { HAS_POSTGRES } from './requirements.ts';

/** The PostgreSQL server the tests use (`.ci/run` starts it): database `test`, trust auth. */
export const PG_URL = process.env.SPIDERWEB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Backend = 'sqlite' | 'postgres';
/** The stores to run a suite on: PostgreSQL only where it answers (see requirements.ts). */
export const BACKENDS: Backend[] = HAS_POSTGRES ? ['sqlite', 'postgres'] : ['sqlite'];

/** A private, empty store location: a temp SQLite file, or a unique schema on the test PostgreSQL. */
export interface TestDb {
  backend: Backend;
  /** What `store.url` / `DATABASE_URL` would say. */
  url: string;
  /** Data dir for `Store.open` (and the SQLite file). */
  dataDir: string;
  open(opts?: StoreOptions): Promise<Store>;
  /** Drops the schema or deletes the file. */
  drop(): Promise<void>;
}

export async function testDb(backend: Backend): Promise<TestDb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spiderweb-db-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (backend === 'sqlite') {
    const url = `sqlite:${join(dataDir, 'store.sqlite')}`;
    return {
      backend,
      url,
      dataDir,
      open: (opts) => Store.open(url, dataDir, opts),
      drop: async () => removeDir(),
    };
  }
  const schema = `spw_${randomBytes(6).toString('hex')}`;
  const url = withParam(PG_URL, 'schema', schema);
  return {
    backend,
    url,
    dataDir,
    open: (opts) => Store.open(url, dataDir, opts),
    async drop() {
      removeDir();
      await pgQuery(`drop schema if exists "${schema}" cascade`);
    },
  };
}

export function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/** One statement on the test server, outside any store (set-up and clean-up). */
export async function pgQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}
