import { type Kysely, type Migration, type MigrationProvider, PostgresAdapter } from 'kysely';

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
        .addColumn('id', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
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
        .addColumn('id', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
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
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
