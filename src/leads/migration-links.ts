import { type Kysely, type Migration, sql } from 'kysely';

/**
 * `0010_site_wide_links`: what linking needs to ignore a site's own contacts and to merge clusters
 * from a lead's identifiers alone. `site_counts` counts each site's fetched pages, `site_identifiers`
 * the pages of a site that carry an identifier (and whether that share makes it site-wide), and
 * `identifiers.cluster_id` the cluster an identifier links. Filled from the stored pages and leads;
 * which identifiers are site-wide is decided by the running store against its config.
 */
export const siteWideLinksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('site_counts')
      .addColumn('site_id', 'text', (c) => c.primaryKey())
      .addColumn('pages', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('site_identifiers')
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('identifier_id', 'integer', (c) => c.notNull().references('identifiers.id'))
      .addColumn('pages', 'integer', (c) => c.notNull())
      .addColumn('site_wide', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('site_identifiers_pk', ['site_id', 'identifier_id'])
      .execute();
    await db.schema
      .createIndex('site_identifiers_wide')
      .on('site_identifiers')
      .columns(['site_id', 'site_wide'])
      .execute();
    await db.schema.alterTable('identifiers').addColumn('cluster_id', 'integer').execute();
    await db.schema.createIndex('identifiers_cluster').on('identifiers').column('cluster_id').execute();

    await sql`insert into site_counts (site_id, pages)
      select site_id, count(*) from pages where content_hash is not null group by site_id`.execute(db);
    await sql`insert into site_identifiers (site_id, identifier_id, pages, site_wide)
      select p.site_id, pi.identifier_id, count(*), 0
      from page_identifiers pi join pages p on p.id = pi.page_id
      group by p.site_id, pi.identifier_id`.execute(db);
    await sql`update identifiers set cluster_id = (
      select min(l.cluster_id) from leads l join page_identifiers pi on pi.page_id = l.page_id
      where pi.identifier_id = identifiers.id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('identifiers_cluster').execute();
    await db.schema.alterTable('identifiers').dropColumn('cluster_id').execute();
    await db.schema.dropTable('site_identifiers').execute();
    await db.schema.dropTable('site_counts').execute();
  },
};

/**
 * `0012_site_count_deltas`: on PostgreSQL a page's transaction does not update its site's counter rows
 * (every page of a market carries the same footer contacts, so those few rows would make every page
 * save wait its turn); it inserts one row here per count instead (`identifier_id` null for the page
 * itself), and the store adds them to `site_counts`/`site_identifiers` in short transactions of their
 * own (`foldSiteCounts`). Unused on SQLite, whose one writer counts in place.
 */
export const siteCountDeltasMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('site_count_deltas')
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('identifier_id', 'integer')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('site_count_deltas').execute();
  },
};
