import { Migrator, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Classification } from '../../src/classify/index.ts';
import type { Identifier, IdentifierType } from '../../src/extract/index.ts';
import type { FetchedRecord, Store } from '../../src/leads/index.ts';
import { migrationProvider } from '../../src/leads/migrations.ts';
import { siteCountDeltasMigration } from '../../src/leads/migration-links.ts';
import { parseFilter } from '../../src/review/filters.ts';
import { BACKENDS, type TestDb, testDb } from '../helpers/db.ts';
import { storeDb } from '../../src/leads/store.ts';

const T0 = '2025-03-01T10:00:00.000Z';
const WALLET = 'TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE';

const id = (type: IdentifierType, value: string): Identifier => ({
  type,
  value,
  span: [0, value.length],
  validated: 'syntax',
  deobfuscated: false,
});

const verdict = (substances: string[]): Classification => ({
  score: 0.9,
  lead: true,
  kind: 'sale',
  category: 'synthetic',
  substances,
  reasons: [],
  lexiconVersion: 'v1',
});

/** The leads' fixture: what each is searchable by, and one word only its page's body says. */
const LEADS = [
  {
    path: 'a',
    title: 'Мефедрон кристаллы VHQ',
    text: 'Закладки по Алматы, магнит и прикоп. Оператор на связи.',
    substances: ['mephedrone'],
    identifiers: [id('tron', WALLET), id('telegram', 'mef_shop_kz')],
  },
  {
    path: 'b',
    title: 'Альфа-PVP 1 гр (crème)',
    text: 'Доставка по Астане, гарантия качества.',
    substances: ['a-pvp'],
    identifiers: [id('telegram', 'pvp_store')],
  },
  {
    path: 'c',
    title: 'Соль оптом, ёмкость 5 г',
    text: 'Мефедрон тоже есть, пишите оператору.',
    substances: ['a-pvp', 'mdpv'],
    identifiers: [id('card', '4276380012345678')],
  },
];

describe.each(BACKENDS)('lead search (title, substances, identifiers) on %s', (backend) => {
  let tdb: TestDb;
  let store: Store;
  const ids: Record<string, number> = {};

  const addLeads = async (s: Store) => {
    for (const l of LEADS) {
      const url = `http://shop.test/${l.path}`;
      const { pageId } = await s.recordFetched({
        crawlId: 'c1',
        siteId: 'shop',
        url,
        finalUrl: url,
        status: 200,
        contentHash: `h-${l.path}`,
        title: l.title,
        text: l.text,
        listing: null,
        lang: 'ru',
        identifiers: l.identifiers,
        fetchedVia: 'http',
        robots: 'obey',
        foundVia: 'seed',
        depth: 0,
        at: T0,
      } satisfies FetchedRecord);
      const { leadId } = await s.saveClassification((await s.page(pageId))!, verdict(l.substances), 'c1', T0);
      ids[l.path] = leadId!;
    }
  };

  /** The leads (by fixture path) that `q` finds through the review queue's filter. */
  const found = async (q: string, extra = '') => {
    const f = parseFilter(new URLSearchParams(`status=all&q=${encodeURIComponent(q)}${extra}`));
    const page = await store.review.queuePage(f, { limit: 50 });
    const n = (await store.review.countLeads(f)).n;
    expect(n, `count of ${q}`).toBe(page.rows.length);
    const byId = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
    return page.rows.map((r) => byId.get(r.id)).sort();
  };

  beforeEach(async () => {
    tdb = await testDb(backend);
    store = await tdb.open();
  });
  afterEach(async () => {
    await store?.close();
    await tdb?.drop();
  });

  it('finds a lead by a word of its title, a substance, or an identifier; not by its page body', async () => {
    await addLeads(store);
    // Title words, through the classifier's folding and stemming.
    expect(await found('мефедрона')).toEqual(['a']);
    expect(await found('mefedron')).toEqual(['a']);
    expect(await found('кристалл')).toEqual(['a']);
    expect(await found('альфа pvp')).toEqual(['b']);
    // Folded alike on both stores: case, ё as е, Latin diacritics (in the index and in the scans).
    for (const q of ['емкость', 'ёмкость', 'ЁМКОСТЬ']) expect(await found(q), q).toEqual(['c']);
    for (const q of ['creme', 'crème', 'CRÈME']) expect(await found(q), q).toEqual(['b']);
    expect(await found('ём')).toEqual(['c']);
    expect(await found('èm')).toEqual(['b']);
    // Substances (the canonical names).
    expect(await found('mephedrone')).toEqual(['a']);
    expect(await found('mdpv')).toEqual(['c']);
    expect(await found('a-pvp')).toEqual(['b', 'c']);
    // Identifiers: a wallet typed whole or in part, a handle with or without @, a card.
    expect(await found(WALLET)).toEqual(['a']);
    expect(await found('Dow5KcbLSE')).toEqual(['a']);
    expect(await found('@mef_shop_kz')).toEqual(['a']);
    expect(await found('pvp_store')).toEqual(['b']);
    expect(await found('4276380012345678')).toEqual(['c']);
    expect(await found('4276 3800 1234 5678')).toEqual(['c']);
    // Words of two fields together: every word must be somewhere in the lead.
    expect(await found('кристаллы mef_shop')).toEqual(['a']);
    expect(await found('соль mdpv')).toEqual(['c']);
    expect(await found('соль mephedrone')).toEqual([]);
    // Only in the page's body: not found, unless the page text is asked for.
    expect(await found('закладки')).toEqual([]);
    expect(await found('алматы')).toEqual([]);
    expect(await found('закладки', '&in_text=1')).toEqual(['a']);
    expect(await found('алматы кристаллы', '&in_text=1')).toEqual(['a']);
    expect(await found('мефедрон', '&in_text=1')).toEqual(['a', 'c']);
    expect(await found('оператор', '&in_text=1')).toEqual(['a', 'c']);
    // Words under three letters (too short for the trigram index) are scanned for, case-folded alike on
    // both stores, when the search has nothing longer; beside a longer word they are left out.
    expect(await found('гр')).toEqual(['b']);
    expect(await found('vh')).toEqual(['a']);
    expect(await found('со')).toEqual(['c']);
    expect(await found('гр кристаллы')).toEqual(['a']);
    // Query syntax is text: `" OR "` searches `or` (in the handle `pvp_store`).
    expect(await found('" OR "')).toEqual(['b']);
  });

  it('follows a recrawl that adds an identifier, and a reclassification that changes the substances', async () => {
    await addLeads(store);
    expect(await found('new_handle')).toEqual([]);
    const url = 'http://shop.test/b';
    await store.recordFetched({
      crawlId: 'c2',
      siteId: 'shop',
      url,
      finalUrl: url,
      status: 200,
      contentHash: 'h-b2',
      title: LEADS[1]!.title,
      text: LEADS[1]!.text,
      listing: null,
      lang: 'ru',
      identifiers: [id('telegram', 'pvp_store'), id('telegram', 'new_handle')],
      fetchedVia: 'http',
      robots: 'obey',
      foundVia: 'seed',
      depth: 0,
      at: T0,
    });
    expect(await found('new_handle')).toEqual(['b']);
    expect(await found('pvp_store')).toEqual(['b']);
    const page = await storeDb(store)
      .selectFrom('pages')
      .select('id')
      .where('url', '=', url)
      .executeTakeFirstOrThrow();
    await store.saveClassification((await store.page(page.id))!, verdict(['mephedrone']), 'c2', T0);
    expect(await found('mephedrone')).toEqual(['a', 'b']);
    expect(await found('mdpv')).toEqual(['c']);
  });

  it('migrates a store with leads: 0011 indexes the existing leads, and down restores the page-text index', async () => {
    const migrator = new Migrator({ db: storeDb(store), provider: migrationProvider });
    const down = await migrator.migrateTo('0010_site_wide_links');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.migrationName, r.direction])).toEqual([
      ['0012_site_count_deltas', 'Down'],
      ['0011_search_title_substances_identifiers', 'Down'],
    ]);
    // Today's code writes the leads below, and on PostgreSQL it queues a page's site counts in 0012's
    // table: it gets that table alone for them (dropped again before migrating up).
    await siteCountDeltasMigration.up(storeDb(store));
    if (backend === 'sqlite') {
      const cols = await sql<{ name: string }>`select name from pragma_table_info('leads_fts')`.execute(
        storeDb(store),
      );
      expect(cols.rows.map((r) => r.name)).toEqual(['title', 'text']);
    } else {
      const idx = await sql<{ n: number }>`select count(*)::int as n from pg_indexes
        where indexname = 'pages_fts' and schemaname = current_schema()`.execute(storeDb(store));
      expect(idx.rows[0]!.n).toBe(1);
    }
    // Leads written on the old schema (its triggers index the page text)...
    await addLeads(store);
    await store.foldSiteCounts();
    await siteCountDeltasMigration.down!(storeDb(store));
    const up = await migrator.migrateToLatest();
    expect(up.error).toBeUndefined();
    // ...are found by their title, substances and identifiers after the migration.
    expect(await found('кристаллы')).toEqual(['a']);
    expect(await found('емкость')).toEqual(['c']);
    expect(await found('mdpv')).toEqual(['c']);
    expect(await found(WALLET)).toEqual(['a']);
    expect(await found('pvp_store')).toEqual(['b']);
    expect(await found('закладки')).toEqual([]);
    expect(await found('закладки', '&in_text=1')).toEqual(['a']);
    if (backend === 'sqlite') {
      const n = await sql<{ n: number }>`select count(*) as n from leads_fts`.execute(storeDb(store));
      expect(n.rows[0]!.n).toBe(LEADS.length);
    }
  });
});
