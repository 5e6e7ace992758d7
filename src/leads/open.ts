import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { ConfigError } from '../errors.ts';
import { migrationProvider } from './migrations.ts';
import type { Database } from './schema.ts';

export interface OpenedDb {
  db: Kysely<Database>;
  /** Where the data is, for people: a file path or a redacted URL. */
  location: string;
  dialect: 'sqlite' | 'postgres';
}

/**
 * Opens the store named by `url` (null: `<dataDir>/spiderweb.sqlite`; `sqlite:PATH`; a bare path
 * ending in .sqlite/.db) and brings its schema up to date.
 */
export async function openDb(url: string | null, dataDir: string): Promise<OpenedDb> {
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError('store.url', 'PostgreSQL stores are not supported yet in this build');
  }
  const file = resolve(url ? url.replace(/^sqlite:(\/\/)?/, '') : join(dataDir, 'spiderweb.sqlite'));
  mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL lets many worker processes read while one writes; busy_timeout makes writers wait, not fail.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return { db, location: file, dialect: 'sqlite' };
}

async function migrate(db: Kysely<Database>): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) throw error;
}
