import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';
import { createPageTextFts } from './migration-review.ts';

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** A title as the index holds it: `ё` as `е`, as the query's words come (see `search-fold.ts`). */
const foldedTitle = (title: string) => `replace(replace(${title}, 'ё', 'е'), 'Ё', 'Е')`;

/** SQLite: the identifier values of the lead's page, space-separated (`page_id` names the page). */
const idValues = (pageId: string) => `coalesce((select group_concat(i.value, ' ') from page_identifiers pi
      join identifiers i on i.id = pi.identifier_id where pi.page_id = ${pageId}), '')`;
const pageIdentifierValues = (pageId: string) => sql.raw(idValues(pageId));

/** SQLite: re-indexes the leads of page `pageId` (a lead's page identifiers changed). */
const reindexPage = (pageId: string) =>
  sql.raw(`delete from leads_fts where rowid in (select id from leads where page_id = ${pageId});
      insert into leads_fts(rowid, title, substances, identifiers)
        select id, ${foldedTitle('title')}, substances, ${idValues('leads.page_id')}
        from leads where page_id = ${pageId};`);

const TRIGGERS = [
  'leads_fts_ai',
  'leads_fts_au',
  'leads_fts_ad',
  'leads_fts_pu',
  'leads_fts_pi_ai',
  'leads_fts_pi_ad',
];

/**
 * `0011_search_title_substances_identifiers` (issue #16): the queue's search covers what analysts
 * look for, a lead's title, its substances and its page's identifiers (wallets, handles, cards,
 * phones), no longer its page's whole text, which cost every lead insert a trigram index of ~10 KB
 * and every recrawl a re-index. SQLite: `leads_fts` becomes an FTS5 trigram table over (title,
 * substances JSON, identifier values), kept by triggers on leads (insert; title or substances
 * changed; delete) and on page_identifiers (a lead's page gains or loses an identifier), backfilled
 * from the stored leads. PostgreSQL: the GIN index over the pages' text goes; the search there reads
 * the same three fields by substring (`strpos(translate(lower(..)))`, folded as `search-fold.ts`
 * says) from the short leads rows and the identifiers table, so it finds what SQLite's trigram index
 * finds. Page text stays searchable on request, by a scan (`in_text=1`).
 */
export const searchFieldsMigration: Migration = {
  async up(db) {
    if (isPostgres(db)) {
      await sql`drop index if exists pages_fts`.execute(db);
      return;
    }
    for (const t of TRIGGERS) await sql`drop trigger if exists ${sql.raw(t)}`.execute(db);
    await sql`drop table if exists leads_fts`.execute(db);
    // One row per lead (rowid = lead id); trigram: substring search in any script, a wallet's middle included.
    await sql`create virtual table leads_fts using fts5(title, substances, identifiers, content='',
      contentless_delete=1, tokenize="trigram remove_diacritics 1")`.execute(db);
    await sql`create trigger leads_fts_ai after insert on leads begin
      insert into leads_fts(rowid, title, substances, identifiers)
        values (new.id, ${sql.raw(foldedTitle('new.title'))}, new.substances,
          ${pageIdentifierValues('new.page_id')});
    end`.execute(db);
    // Only a real change re-indexes: every reclassification writes the title and the substances.
    await sql`create trigger leads_fts_au after update of title, substances on leads
      when old.title is not new.title or old.substances is not new.substances begin
      delete from leads_fts where rowid = old.id;
      insert into leads_fts(rowid, title, substances, identifiers)
        values (new.id, ${sql.raw(foldedTitle('new.title'))}, new.substances,
          ${pageIdentifierValues('new.page_id')});
    end`.execute(db);
    await sql`create trigger leads_fts_ad after delete on leads begin
      delete from leads_fts where rowid = old.id;
    end`.execute(db);
    // linkPage adds edges (a page is linked before its lead exists: then there is nothing to re-index).
    await sql`create trigger leads_fts_pi_ai after insert on page_identifiers
      when exists (select 1 from leads where page_id = new.page_id) begin
      ${reindexPage('new.page_id')}
    end`.execute(db);
    await sql`create trigger leads_fts_pi_ad after delete on page_identifiers
      when exists (select 1 from leads where page_id = old.page_id) begin
      ${reindexPage('old.page_id')}
    end`.execute(db);
    await sql`insert into leads_fts(rowid, title, substances, identifiers)
      select id, ${sql.raw(foldedTitle('title'))}, substances, ${pageIdentifierValues('leads.page_id')}
      from leads`.execute(db);
  },

  async down(db) {
    if (isPostgres(db)) {
      await sql`create index if not exists pages_fts on pages
        using gin (to_tsvector('simple', title || ' ' || text))`.execute(db);
      return;
    }
    for (const t of TRIGGERS) await sql`drop trigger if exists ${sql.raw(t)}`.execute(db);
    await sql`drop table if exists leads_fts`.execute(db);
    await createPageTextFts(db, true);
  },
};
