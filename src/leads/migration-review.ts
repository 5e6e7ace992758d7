import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Indexes for the review queue's sorts and filters (keyset pagination: each ends in the row id). */
const LEAD_INDEXES: Array<[name: string, columns: string[]]> = [
  ['leads_q_score', ['score', 'id']],
  ['leads_q_first_seen', ['first_seen', 'id']],
  ['leads_q_last_seen', ['last_seen', 'id']],
  ['leads_q_status_first_seen', ['status', 'first_seen', 'id']],
  ['leads_q_status_last_seen', ['status', 'last_seen', 'id']],
  ['leads_q_category', ['category', 'score', 'id']],
  ['leads_q_site', ['site_id', 'score', 'id']],
  ['leads_q_status_id', ['status', 'id']],
];

/**
 * `0004_review`: analysts, sessions, API tokens, one-time login tokens, the append-only audit log,
 * the queue's indexes and full-text search (SQLite: an FTS5 trigram table over each lead's title and
 * page text, kept by triggers; PostgreSQL: a GIN index over a `simple` tsvector of the page). 0011
 * (`migration-search.ts`) replaces both with a search over title, substances and identifiers.
 */
export const reviewMigration: Migration = {
  async up(db) {
    const pg = isPostgres(db);
    const id = pg ? 'serial' : 'integer';
    await db.schema
      .createTable('analysts')
      .addColumn('id', id, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'text')
      .execute();
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('analyst_id', 'integer', (c) => c.notNull().references('analysts.id'))
      .addColumn('csrf', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', id, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('analyst_id', 'integer', (c) => c.notNull().references('analysts.id'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('label', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema
      .createTable('login_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('analyst_id', 'integer', (c) => c.notNull().references('analysts.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await db.schema
      .createTable('audit')
      .addColumn('id', id, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('analyst_id', 'integer')
      .addColumn('analyst', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('lead_id', 'integer')
      .addColumn('note', 'text')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('audit_lead').on('audit').columns(['lead_id', 'id']).execute();
    await db.schema.createIndex('audit_at').on('audit').column('at').execute();

    for (const [name, columns] of LEAD_INDEXES) {
      await db.schema.createIndex(name).on('leads').columns(columns).execute();
    }
    await db.schema.createIndex('pages_lang').on('pages').column('lang').execute();

    if (pg) {
      // The audit log is append-only for everyone, the app included.
      await sql`create function audit_append_only() returns trigger language plpgsql as $$
        begin raise exception 'audit is append-only'; end $$`.execute(db);
      await sql`create trigger audit_no_update before update or delete on audit
        for each row execute function audit_append_only()`.execute(db);
      await sql`create index pages_fts on pages using gin (to_tsvector('simple', title || ' ' || text))`.execute(
        db,
      );
      return;
    }
    await sql`create trigger audit_no_update before update on audit
      begin select raise(abort, 'audit is append-only'); end`.execute(db);
    await sql`create trigger audit_no_delete before delete on audit
      begin select raise(abort, 'audit is append-only'); end`.execute(db);
    await createPageTextFts(db, false);
  },

  async down(db) {
    const pg = isPostgres(db);
    if (pg) {
      await sql`drop index if exists pages_fts`.execute(db);
      await sql`drop trigger if exists audit_no_update on audit`.execute(db);
      await sql`drop function if exists audit_append_only()`.execute(db);
    } else {
      for (const t of ['leads_fts_ai', 'leads_fts_au', 'leads_fts_ad', 'leads_fts_pu']) {
        await sql`drop trigger if exists ${sql.raw(t)}`.execute(db);
      }
      await sql`drop table if exists leads_fts`.execute(db);
    }
    await db.schema.dropIndex('pages_lang').execute();
    for (const [name] of LEAD_INDEXES) await db.schema.dropIndex(name).execute();
    for (const t of ['audit', 'login_tokens', 'api_tokens', 'sessions', 'analysts']) {
      await db.schema.dropTable(t).execute();
    }
  },
};

/**
 * SQLite: the lead search index of 0004 to 0010 (replaced by 0011's, whose `down` puts it back): one
 * row per lead (rowid = lead id) with its title and its page's text, kept by triggers; trigram:
 * substring search in any script. `onChangeOnly` as in `ftsUpdateTriggers`.
 */
export async function createPageTextFts(db: Kysely<unknown>, onChangeOnly: boolean): Promise<void> {
  await sql`create virtual table leads_fts using fts5(title, text, content='', contentless_delete=1,
    tokenize="trigram remove_diacritics 1")`.execute(db);
  await sql`create trigger leads_fts_ai after insert on leads begin
    insert into leads_fts(rowid, title, text)
      select new.id, new.title, coalesce((select text from pages where id = new.page_id), '');
  end`.execute(db);
  await ftsUpdateTriggers(db, onChangeOnly);
  await sql`create trigger leads_fts_ad after delete on leads begin
    delete from leads_fts where rowid = old.id;
  end`.execute(db);
  await sql`insert into leads_fts(rowid, title, text)
    select leads.id, leads.title, pages.text from leads join pages on pages.id = leads.page_id`.execute(db);
}

/**
 * The triggers that re-index a lead when its title or its page's text is written. `onChangeOnly`
 * (0006): only when the value really changed; every reclassification writes the title and every
 * recrawl the text, and re-indexing 10 KB of trigrams costs about a millisecond each time.
 */
async function ftsUpdateTriggers(db: Kysely<unknown>, onChangeOnly: boolean): Promise<void> {
  const when = (column: string) => sql.raw(onChangeOnly ? `when old.${column} is not new.${column}` : '');
  await sql`drop trigger if exists leads_fts_au`.execute(db);
  await sql`create trigger leads_fts_au after update of title on leads ${when('title')} begin
      delete from leads_fts where rowid = old.id;
      insert into leads_fts(rowid, title, text)
        select new.id, new.title, coalesce((select text from pages where id = new.page_id), '');
    end`.execute(db);
  await sql`drop trigger if exists leads_fts_pu`.execute(db);
  await sql`create trigger leads_fts_pu after update of text on pages ${when('text')} begin
      delete from leads_fts where rowid in (select id from leads where page_id = new.id);
      insert into leads_fts(rowid, title, text) select id, title, new.text from leads where page_id = new.id;
    end`.execute(db);
}

/** 0006: SQLite re-indexes a lead for search only when its title or its page's text changed. */
export const ftsOnChangeMigration: Migration = {
  async up(db) {
    if (!isPostgres(db)) await ftsUpdateTriggers(db, true);
  },
  async down(db) {
    if (!isPostgres(db)) await ftsUpdateTriggers(db, false);
  },
};
