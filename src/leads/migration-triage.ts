import { type Kysely, type Migration, PostgresAdapter } from 'kysely';

/**
 * `0008_triage`: which analyst has claimed a lead (one claim per lead), and each analyst's saved
 * queue filters. Decisions and their undoing stay in the append-only audit log.
 */
export const triageMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const pg = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('claims')
      .addColumn('lead_id', 'integer', (c) => c.primaryKey().references('leads.id'))
      .addColumn('analyst_id', 'integer', (c) => c.notNull().references('analysts.id'))
      .addColumn('analyst', 'text', (c) => c.notNull())
      .addColumn('claimed_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('claims_analyst').on('claims').columns(['analyst_id', 'lead_id']).execute();
    await db.schema
      .createTable('saved_filters')
      .addColumn('id', pg ? 'serial' : 'integer', (c) =>
        pg ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('analyst_id', 'integer', (c) => c.notNull().references('analysts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('query', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('saved_filters_analyst_name', ['analyst_id', 'name'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('saved_filters').execute();
    await db.schema.dropTable('claims').execute();
  },
};
