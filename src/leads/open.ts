import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  type DatabaseIntrospector,
  type DatabaseMetadataOptions,
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  type PostgresDialectConfig,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
  type SqliteDatabase,
  sql,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import { ConfigError, errorMessage, SpiderwebError } from '../errors.ts';
import { log } from '../log.ts';
import { migrationProvider } from './migrations.ts';
import { searchFold } from './search-fold.ts';
import type { Database } from './schema.ts';

export interface OpenedDb {
  db: Kysely<Database>;
  /** Where the data is, for people: a file path or a redacted URL. */
  location: string;
  dialect: 'sqlite' | 'postgres';
  /** The SQLite connection under `db` (its group commit takes the write lock itself); absent on PostgreSQL. */
  sqlite?: SQLite.Database;
}

export interface OpenDbOptions {
  /** PostgreSQL only: the schema every connection uses (`search_path`), created when missing. URL param `schema` wins. */
  schema?: string;
  /** PostgreSQL only: connections in the pool (default 10). URL param `pool` wins. */
  poolSize?: number;
}

export const DEFAULT_PG_POOL_SIZE = 10;

/** True when `db` talks to PostgreSQL (for the few statements that differ by dialect). */
// biome-ignore lint/suspicious/noExplicitAny: any database shape
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** `url` with its password replaced by `***`, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * Opens the store named by `url` and brings its schema up to date: null → `<dataDir>/spiderweb.sqlite`;
 * `sqlite:PATH` or a bare path → that SQLite file; `postgres://` or `postgresql://` → PostgreSQL, with
 * optional URL params `schema` (every connection's `search_path`; created when missing) and `pool`
 * (connections, default 10). The same migrations and queries serve both.
 */
export async function openDb(
  url: string | null,
  dataDir: string,
  opts: OpenDbOptions = {},
): Promise<OpenedDb> {
  if (url && /^postgres(ql)?:\/\//i.test(url)) return openPostgres(url, opts);
  const file = resolve(url ? url.replace(/^sqlite:(\/\/)?/, '') : join(dataDir, 'spiderweb.sqlite'));
  mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // busy_timeout first: switching a new file to WAL needs a lock another process may hold.
  sqlite.pragma('busy_timeout = 10000');
  // WAL lets many worker processes read while one writes; busy_timeout makes writers wait, not fail.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // The review search's substring scans compare text folded as its index does (search-fold.ts);
  // PostgreSQL does the same with translate(lower(..)). Used by queries only, never by the schema.
  sqlite.function('spw_search_fold', { deterministic: true }, (s: unknown) =>
    typeof s === 'string' ? searchFold(s) : null,
  );
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  try {
    await migrateSqlite(file, sqlite, db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, location: file, dialect: 'sqlite', sqlite };
}

/** Prepared statements kept per SQLite connection (distinct SQL texts; `in (?, ?, …)` lists vary in length). */
export const SQLITE_STATEMENT_CACHE_SIZE = 500;

/**
 * The better-sqlite3 database as kysely's SqliteDialect sees it (`prepare` and `close` only), with its
 * prepared statements reused: the dialect prepares every query it runs, and compiling the SQL again
 * each time cost more than running most of them. Statements are cached by their SQL text, least
 * recently used evicted past `max`. A cached statement still being iterated (a streamed query) is
 * busy and cannot run again, so a fresh one is prepared for that call. SQLite re-prepares a cached
 * statement by itself when the schema changes (migrations, another process). `close` forgets them
 * all and closes the database. Pragmas, `exec` and transactions on `sqlite` itself are unaffected.
 */
export function cachingStatements(
  sqlite: SQLite.Database,
  max = SQLITE_STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit) {
        if (hit.busy) return sqlite.prepare(text);
        // Map order is insertion order: move it to the back, the most recently used end.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const stmt = sqlite.prepare(text);
      cache.set(text, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
      return stmt;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}

/** Opens of one SQLite file in this process, chained: a waiting `BEGIN IMMEDIATE` would block the thread. */
const sqliteOpening = new Map<string, Promise<unknown>>();

/**
 * Runs the migrations under SQLite's write lock (`BEGIN IMMEDIATE`; kysely takes no lock on SQLite),
 * so processes that start at once on a new file migrate it once: the others wait, then find it done.
 */
async function migrateSqlite(file: string, sqlite: SQLite.Database, db: Kysely<Database>): Promise<void> {
  const before = sqliteOpening.get(file) ?? Promise.resolve();
  const run = before
    .catch(() => undefined)
    .then(async () => {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        await migrate(db, undefined);
        sqlite.exec('COMMIT');
      } catch (err) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw err;
      }
    });
  sqliteOpening.set(file, run);
  try {
    await run;
  } finally {
    if (sqliteOpening.get(file) === run) sqliteOpening.delete(file);
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The pg connection settings of a `postgres://` URL, without Spiderweb's own params. */
export function parsePostgresUrl(
  url: string,
  opts: OpenDbOptions = {},
): { connectionString: string; schema: string | undefined; poolSize: number; location: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('store.url (or DATABASE_URL)', `not a valid URL: ${redactUrl(url)}`);
  }
  const schema = u.searchParams.get('schema') ?? opts.schema;
  const poolParam = u.searchParams.get('pool');
  const poolSize = poolParam === null ? (opts.poolSize ?? DEFAULT_PG_POOL_SIZE) : Number(poolParam);
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ConfigError(
      'store.url (or DATABASE_URL)',
      `schema "${schema}" must be lower-case letters, digits and _ (max 63), not starting with a digit`,
    );
  }
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw new ConfigError(
      'store.url (or DATABASE_URL)',
      `pool must be a whole number of connections from 1 to 1000, got "${poolParam}"`,
    );
  }
  u.searchParams.delete('schema');
  u.searchParams.delete('pool');
  return { connectionString: u.toString(), schema, poolSize, location: redactUrl(url) };
}

/** bigint (count(*)) as a JS number, like SQLite gives: counts never come near 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

async function openPostgres(url: string, opts: OpenDbOptions): Promise<OpenedDb> {
  const { connectionString, schema, poolSize, location } = parsePostgresUrl(url, opts);
  const config: pg.PoolConfig = { connectionString, max: poolSize, types };
  try {
    if (schema) await ensureSchema(config, schema);
  } catch (err) {
    throw unreachable(location, err);
  }
  // Every connection starts with the schema as its search path: that is how tests and tenants isolate.
  // (Kept alongside any `options` the URL carries.)
  const options = [
    new URL(connectionString).searchParams.get('options'),
    schema && `-c search_path=${schema}`,
  ]
    .filter(Boolean)
    .join(' ');
  const pool = new pg.Pool(options ? { ...config, options } : config);
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', (err) =>
    log.child({ component: 'store' }).warn({ err: err.message }, 'PostgreSQL connection error'),
  );
  let storeSchema = schema ?? 'public';
  const db = new Kysely<Database>({
    dialect: new StoreSchemaDialect({ pool: preparingStatements(pool) }, () => storeSchema),
  });
  try {
    if (!schema) {
      const { rows } = await sql<{ s: string | null }>`select current_schema() as s`.execute(db);
      storeSchema = rows[0]?.s ?? storeSchema;
    }
    await migrate(db, storeSchema);
  } catch (err) {
    await db.destroy();
    throw err instanceof SpiderwebError ? err : unreachable(location, err);
  }
  return { db, location, dialect: 'postgres' };
}

/** SQL texts a process prepares as named statements on each PostgreSQL connection (the rest run unnamed). */
export const POSTGRES_STATEMENT_NAMES = 200;

/**
 * The pool as kysely's PostgresDialect sees it, with each SQL text that has parameters prepared once
 * per connection as a named statement (the first `max` distinct texts of the process; `in (…)` lists
 * vary in length, so the names are bounded): unnamed, PostgreSQL parses and plans every statement of
 * every page again. Statements without parameters (BEGIN, COMMIT, DDL) stay unnamed. A connection
 * whose statement no longer fits the schema (another process migrated it: "cached plan must not
 * change result type") is closed when released instead of going back to the pool.
 */
export function preparingStatements(pool: pg.Pool, max = POSTGRES_STATEMENT_NAMES): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (name === undefined && names.size < max) {
      name = `spw_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    async connect() {
      const client = await pool.connect();
      let stale = false;
      const query = (text: string, values: readonly unknown[] = []) => {
        const name = values.length ? nameOf(text) : undefined;
        const run = name
          ? client.query({ name, text, values: [...values] })
          : client.query(text, [...values]);
        return run.catch((err: unknown) => {
          if ((err as { code?: unknown }).code === '0A000') stale = true;
          throw err;
        });
      };
      return {
        // Kysely passes (sql, parameters); cursors (streamed queries) are not used on PostgreSQL here.
        query: query as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy || stale),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * PostgreSQL as kysely speaks it, introspecting the store's schema alone. Kysely's own introspector reads
 * every column of every table of every schema, and its migrator asks it whether its two bookkeeping
 * tables exist each time a process opens the store: slow on a database that many schemas share, and an
 * error ("schema … does not exist") when another schema is dropped while it reads, as tests and
 * tenants do.
 */
class StoreSchemaDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly schema: () => string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaIntrospector(db as unknown as Kysely<PgCatalog>, this.schema);
  }
}

/** The catalog columns `SchemaIntrospector` reads. */
interface PgCatalog {
  'pg_catalog.pg_namespace': { oid: number; nspname: string };
  'pg_catalog.pg_class': { oid: number; relname: string; relkind: string; relnamespace: number };
  'pg_catalog.pg_attribute': {
    attrelid: number;
    attname: string;
    attnum: number;
    attnotnull: boolean;
    atthasdef: boolean;
    attisdropped: boolean;
    atttypid: number;
  };
  'pg_catalog.pg_type': { oid: number; typname: string; typnamespace: number };
}

/** Kysely's PostgreSQL introspection (the same metadata), restricted to one schema. */
class SchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<PgCatalog>,
    private readonly schema: () => string,
  ) {}

  async getSchemas() {
    return this.db
      .selectFrom('pg_catalog.pg_namespace')
      .select('nspname as name')
      .where('nspname', '=', this.schema())
      .execute();
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }) {
    const schema = this.schema();
    let query = this.db
      .selectFrom('pg_catalog.pg_attribute as a')
      .innerJoin('pg_catalog.pg_class as c', 'a.attrelid', 'c.oid')
      .innerJoin('pg_catalog.pg_namespace as ns', 'c.relnamespace', 'ns.oid')
      .innerJoin('pg_catalog.pg_type as typ', 'a.atttypid', 'typ.oid')
      .innerJoin('pg_catalog.pg_namespace as dtns', 'typ.typnamespace', 'dtns.oid')
      .select([
        'a.attname as column',
        'a.attnotnull as not_null',
        'a.atthasdef as has_default',
        'c.relname as table',
        'c.relkind as table_type',
        'typ.typname as type',
        'dtns.nspname as type_schema',
        sql<string | null>`col_description(a.attrelid, a.attnum)`.as('description'),
        sql<
          string | null
        >`pg_get_serial_sequence(quote_ident(ns.nspname) || '.' || quote_ident(c.relname), a.attname)`.as(
          'serial',
        ),
      ])
      .where('ns.nspname', '=', schema)
      .where('c.relkind', 'in', ['r', 'v', 'p'])
      .where('a.attnum', '>=', 0)
      .where('a.attisdropped', '!=', true)
      .orderBy('c.relname')
      .orderBy('a.attnum');
    if (!options.withInternalKyselyTables)
      query = query.where('c.relname', 'not in', ['kysely_migration', 'kysely_migration_lock']);
    const tables = new Map<string, TableMetadata>();
    for (const r of await query.execute()) {
      let table = tables.get(r.table);
      if (!table) {
        table = { name: r.table, schema, isView: r.table_type === 'v', columns: [] };
        tables.set(r.table, table);
      }
      table.columns.push({
        name: r.column,
        dataType: r.type,
        dataTypeSchema: r.type_schema,
        isNullable: !r.not_null,
        hasDefaultValue: r.has_default,
        isAutoIncrementing: r.serial !== null,
        ...(r.description !== null && { comment: r.description }),
      });
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions) {
    return { tables: await this.getTables(options) };
  }
}

/** Creates the schema when missing; safe when several processes do it at once. */
async function ensureSchema(config: pg.PoolConfig, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: config.connectionString, types });
  await client.connect();
  try {
    const exists = async () =>
      (await client.query('select 1 from pg_namespace where nspname = $1', [schema])).rowCount === 1;
    if (await exists()) return;
    try {
      await client.query(`create schema if not exists "${schema}"`);
    } catch (err) {
      // Two creators at once: `if not exists` may still fail in the loser; the schema is there all the same.
      if (!(await exists())) throw err;
    }
  } finally {
    await client.end();
  }
}

function unreachable(location: string, err: unknown): SpiderwebError {
  return new SpiderwebError('TRANSIENT', `PostgreSQL store at ${location}: ${errorMessage(err)}`, {
    cause: err,
  });
}

/**
 * Runs the migrations. On PostgreSQL kysely serialises concurrent migrators with an advisory lock; its
 * bookkeeping tables live in `pgSchema` (named, so a `kysely_migration` table of another schema is never
 * mistaken for ours).
 */
async function migrate(db: Kysely<Database>, pgSchema: string | undefined): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(pgSchema ? { migrationTableSchema: pgSchema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
