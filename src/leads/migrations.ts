import { type Kysely, type Migration, type MigrationProvider, PostgresAdapter } from 'kysely';
import { ftsOnChangeMigration, reviewMigration } from './migration-review.ts';
import { siteCountDeltasMigration, siteWideLinksMigration } from './migration-links.ts';
import { searchFieldsMigration } from './migration-search.ts';
import { triageMigration } from './migration-triage.ts';

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * The store's schema history, oldest first. Never edit a migration that has shipped: add one.
 * The same migrations run on SQLite and PostgreSQL.
 */
const migrations: Record<string, Migration> = {
  '0001_pages_leads_crawls': {
    async up(db) {
      const pg = isPostgres(db);
      await db.schema
        .createTable('pages')
        .addColumn('id', pg ? 'serial' : 'integer', (c) =>
          pg ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('final_url', 'text')
        .addColumn('status', 'integer')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('fail_reason', 'text')
        .addColumn('fail_message', 'text')
        .addColumn('content_hash', 'text')
        .addColumn('title', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('text', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('listing', 'text')
        .addColumn('lang', 'text')
        .addColumn('identifiers', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('fetched_via', 'text')
        .addColumn('found_via', 'text', (c) => c.notNull())
        .addColumn('depth', 'integer', (c) => c.notNull())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addColumn('last_fetched', 'text', (c) => c.notNull())
        .addColumn('fetch_count', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('crawl_id', 'text', (c) => c.notNull())
        .addUniqueConstraint('pages_site_url', ['site_id', 'url'])
        .execute();
      await db.schema.createIndex('pages_crawl').on('pages').column('crawl_id').execute();

      await db.schema
        .createTable('leads')
        .addColumn('id', pg ? 'serial' : 'integer', (c) =>
          pg ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('page_id', 'integer', (c) => c.notNull().unique().references('pages.id'))
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('score', pg ? 'double precision' : 'real', (c) => c.notNull())
        .addColumn('kind', 'text')
        .addColumn('category', 'text')
        .addColumn('substances', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('reasons', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('new'))
        .addColumn('lexicon_version', 'text', (c) => c.notNull())
        .addColumn('found_via', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addColumn('last_seen', 'text', (c) => c.notNull())
        .addColumn('gone_at', 'text')
        .addColumn('crawl_id', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('leads_score').on('leads').columns(['status', 'score']).execute();
      await db.schema.createIndex('leads_site').on('leads').column('site_id').execute();

      await db.schema
        .createTable('crawls')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('sites', 'text', (c) => c.notNull())
        .addColumn('summary', 'text')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('leads').execute();
      await db.schema.dropTable('pages').execute();
      await db.schema.dropTable('crawls').execute();
    },
  },
  '0002_identifiers_clusters_pivots': {
    async up(db) {
      const pg = isPostgres(db);
      await db.schema
        .createTable('identifiers')
        .addColumn('id', pg ? 'serial' : 'integer', (c) =>
          pg ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('validated', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addColumn('last_seen', 'text', (c) => c.notNull())
        .addUniqueConstraint('identifiers_type_value', ['type', 'value'])
        .execute();
      await db.schema
        .createTable('page_identifiers')
        .addColumn('page_id', 'integer', (c) => c.notNull().references('pages.id'))
        .addColumn('identifier_id', 'integer', (c) => c.notNull().references('identifiers.id'))
        .addColumn('deobfuscated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('page_identifiers_pk', ['page_id', 'identifier_id'])
        .execute();
      await db.schema
        .createIndex('page_identifiers_identifier')
        .on('page_identifiers')
        .column('identifier_id')
        .execute();
      // A lead's cluster: the smallest lead id among the leads it is connected to through shared identifiers.
      await db.schema.alterTable('leads').addColumn('cluster_id', 'integer').execute();
      await db.schema.createIndex('leads_cluster').on('leads').column('cluster_id').execute();
      await db.schema
        .createTable('pivots')
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('identifier_id', 'integer', (c) => c.notNull().references('identifiers.id'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('crawl_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pivots_pk', ['site_id', 'identifier_id'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('pivots').execute();
      await db.schema.dropIndex('leads_cluster').execute();
      await db.schema.alterTable('leads').dropColumn('cluster_id').execute();
      await db.schema.dropTable('page_identifiers').execute();
      await db.schema.dropTable('identifiers').execute();
    },
  },
  '0003_crawl_history': {
    async up(db) {
      const pg = isPostgres(db);
      // How robots.txt was treated when the page was fetched (`obey`, `ignore`, `obey:missing`...).
      await db.schema.alterTable('pages').addColumn('robots', 'text').execute();
      await db.schema
        .createTable('lead_history')
        .addColumn('id', pg ? 'serial' : 'integer', (c) =>
          pg ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('lead_id', 'integer', (c) => c.notNull().references('leads.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('score', pg ? 'double precision' : 'real')
        .addColumn('category', 'text')
        .addColumn('content_hash', 'text')
        .addColumn('lexicon_version', 'text')
        .execute();
      await db.schema
        .createIndex('lead_history_lead')
        .on('lead_history')
        .columns(['lead_id', 'at'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('lead_history').execute();
      await db.schema.alterTable('pages').dropColumn('robots').execute();
    },
  },
  '0004_review': reviewMigration,
  '0005_evidence': {
    async up(db) {
      const pg = isPostgres(db);
      // One row per distinct capture of a page (src/evidence/): written at fetch time with the WARC and
      // text, sealed (lead id, screenshot, manifest) when the page becomes a lead.
      await db.schema
        .createTable('evidence')
        .addColumn('id', pg ? 'serial' : 'integer', (c) =>
          pg ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('page_id', 'integer', (c) => c.notNull().references('pages.id'))
        .addColumn('lead_id', 'integer', (c) => c.references('leads.id'))
        .addColumn('payload_sha256', 'text', (c) => c.notNull())
        .addColumn('text_sha256', 'text', (c) => c.notNull())
        .addColumn('fetcher', 'text', (c) => c.notNull())
        .addColumn('captured_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('facts', 'text', (c) => c.notNull())
        .addColumn('warc_sha256', 'text', (c) => c.notNull())
        .addColumn('screenshot_sha256', 'text')
        .addColumn('manifest_sha256', 'text')
        .addColumn('sealed_at', 'text')
        .addColumn('files', 'text', (c) => c.notNull().defaultTo('[]'))
        .addUniqueConstraint('evidence_page_payload', ['page_id', 'payload_sha256'])
        .execute();
      await db.schema.createIndex('evidence_lead').on('evidence').column('lead_id').execute();
      await db.schema.createIndex('evidence_payload').on('evidence').column('payload_sha256').execute();
    },
    async down(db) {
      await db.schema.dropTable('evidence').execute();
    },
  },
  '0006_fts_on_change': ftsOnChangeMigration,
  '0008_triage': triageMigration,
  '0009_crawl_state': {
    async up(db) {
      // How a crawl ended (`running` while it runs): `finished`, `interrupted`, `cancelled`, `lost`,
      // `outage`; `reason` is one line saying why when it is not `finished`.
      await db.schema
        .alterTable('crawls')
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('running'))
        .execute();
      await db.schema.alterTable('crawls').addColumn('reason', 'text').execute();
      await db
        .updateTable('crawls' as never)
        .set({ state: 'finished' } as never)
        .where('finished_at' as never, 'is not', null)
        .execute();
    },
    async down(db) {
      await db.schema.alterTable('crawls').dropColumn('reason').execute();
      await db.schema.alterTable('crawls').dropColumn('state').execute();
    },
  },
  // After 0009, not in the free 0007 slot: stores that ran 0009 refuse a migration older than it.
  '0010_site_wide_links': siteWideLinksMigration,
  '0011_search_title_substances_identifiers': searchFieldsMigration,
  '0012_site_count_deltas': siteCountDeltasMigration,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
