import { type ExpressionBuilder, type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { OpenedDb } from './open.ts';
import type { Database, LeadStatus } from './schema.ts';
import { SEARCH_FOLD_FROM, SEARCH_FOLD_TO, searchFold } from './search-fold.ts';
import { searchWords } from './search-terms.ts';

type DB = Database;
type LeadQuery<O> = SelectQueryBuilder<DB, 'leads', O>;
type Dialect = OpenedDb['dialect'];

export type SortKey = 'score' | 'last_seen' | 'first_seen' | 'id';

/** What the queue, the API and the exports filter on. Every field is optional but `sort` and `dir`. */
export interface QueueFilter {
  status?: LeadStatus[];
  minScore?: number;
  maxScore?: number;
  category?: string[];
  /** Canonical substance name (`mephedrone`). */
  substance?: string;
  site?: string[];
  lang?: string[];
  /** An identifier's value (`@mef_shop`, a wallet), or `type:value`. */
  identifier?: string;
  /** Leads last seen on or after this ISO time. */
  since?: string;
  /** Leads last seen before this ISO time. */
  until?: string;
  /**
   * Search over what analysts type: the lead's title, its substances and its page's identifiers
   * (a wallet, handle, card or phone), words folded and stemmed as the classifier reads them.
   */
  q?: string;
  /** `q` also looks in the page's text (`in_text=1`): a scan of every page, slower. */
  inText?: boolean;
  /** Leads claimed by this analyst, or `none`: unclaimed leads. */
  claimed?: string;
  sort: SortKey;
  dir: 'asc' | 'desc';
}

/** A keyset position: the sort value and id of the last (or first) row of a page. */
export interface Cursor {
  v: number | string;
  id: number;
}

export interface PageRequest {
  after?: Cursor;
  before?: Cursor;
  limit: number;
}

/** A row of the queue: the lead without its reasons, plus its page's language. */
export interface QueueRow {
  id: number;
  page_id: number;
  site_id: string;
  url: string;
  title: string;
  score: number;
  kind: string | null;
  category: string | null;
  substances: string;
  status: string;
  first_seen: string;
  last_seen: string;
  gone_at: string | null;
  cluster_id: number | null;
  lang: string | null;
}

export interface QueuePage {
  rows: QueueRow[];
  /** Cursor of the next page (`after`), when there are more rows. */
  next: Cursor | null;
  /** Cursor of the previous page (`before`), when this is not the first page. */
  prev: Cursor | null;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** FTS5 query for the trigram table: each group's alternatives as quoted phrases (substrings), every group required. */
function ftsQuery(groups: string[][]): string {
  return groups.map((g) => `(${g.map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ')})`).join(' AND ');
}

/** PostgreSQL: a regex of the letters `translate` would fold (rare: most rows skip its slow 123-letter table). */
const FOLDABLE_CLASS = `[${SEARCH_FOLD_FROM}]`;

/** True when `expr`, folded as the search index folds it, holds `w` (folded already): alike on both dialects. */
function contains(dialect: Dialect, expr: RawBuilder<unknown>, w: string) {
  if (dialect === 'sqlite') return sql<boolean>`instr(spw_search_fold(${expr}), ${w}) > 0`;
  const lower = sql`lower(${expr})`;
  return sql<boolean>`strpos(case when ${lower} ~ ${FOLDABLE_CLASS}
    then translate(${lower}, ${SEARCH_FOLD_FROM}, ${SEARCH_FOLD_TO}) else ${lower} end, ${w}) > 0`;
}

const anyOf = (parts: RawBuilder<boolean>[]) => sql<boolean>`(${sql.join(parts, sql` or `)})`;

/** A lead whose title, substances or page identifiers hold one of `words`, by a scan of the leads rows. */
function fieldsHold(dialect: Dialect, words: string[]) {
  const own = sql`leads.title || ' ' || leads.substances`;
  const value = sql`i.value`;
  return anyOf([
    ...words.map((w) => contains(dialect, own, w)),
    sql<boolean>`leads.page_id in (select pi.page_id from page_identifiers pi
      join identifiers i on i.id = pi.identifier_id where ${anyOf(words.map((w) => contains(dialect, value, w)))})`,
  ]);
}

/**
 * A lead whose page's text holds one of `words` as written in lower case, Capitalised or UPPER case
 * (`мефедрон`, `Мефедрон`, `МЕФЕДРОН`): a scan of every page's text (`in_text=1` only), by the
 * database's own byte search on both dialects; folding every page's text first cost 4x more.
 */
function textHolds(dialect: Dialect, words: string[]) {
  const forms = [
    ...new Set(words.flatMap((w) => [w, w.charAt(0).toUpperCase() + w.slice(1), w.toUpperCase()])),
  ];
  const holds = (w: string) =>
    dialect === 'postgres'
      ? sql<boolean>`strpos(pages.text, ${w}) > 0`
      : sql<boolean>`instr(pages.text, ${w}) > 0`;
  return sql<boolean>`leads.page_id in (select pages.id from pages where ${anyOf(forms.map(holds))})`;
}

/**
 * The `q` search: every group of `searchWords` must be held by the lead's title, substances (the
 * JSON names) or page identifiers' values, as a substring folded by `searchFold`; with `inText` the
 * page's text counts too (a word as written in one of three cases, see `textHolds`). SQLite reads
 * the trigram index `leads_fts` (0011), PostgreSQL scans the leads rows and the identifiers table
 * (both short), so both find the same leads. The trigram index needs 3 characters: groups with a
 * shorter alternative are dropped when others are given, on both dialects, and scanned for when the
 * search has nothing else.
 */
function applySearch<O>(q: LeadQuery<O>, text: string, inText: boolean, dialect: Dialect) {
  const groups = searchWords(text)
    .map((g) => [...new Set(g.map((w) => searchFold(w.replace(/[^\p{L}\p{N}]/gu, ''))))].filter(Boolean))
    .filter((g) => g.length > 0);
  if (!groups.length) return q;
  const long = groups.filter((g) => g.every((w) => [...w].length >= 3));
  const used = long.length ? long : groups;
  const indexed = dialect === 'sqlite' && long.length > 0;
  if (indexed && !inText)
    return q.where(
      sql<boolean>`leads.id in (select rowid from leads_fts where leads_fts match ${ftsQuery(used)})`,
    );
  for (const g of used) {
    const own = indexed
      ? sql<boolean>`leads.id in (select rowid from leads_fts where leads_fts match ${ftsQuery([g])})`
      : fieldsHold(dialect, g);
    q = q.where(inText ? anyOf([own, textHolds(dialect, g)]) : own);
  }
  return q;
}

/** Applies every filter (not the order or the cursor). */
function applyFilter<O>(q: LeadQuery<O>, f: QueueFilter, dialect: Dialect): LeadQuery<O> {
  if (f.status?.length) q = q.where('leads.status', 'in', f.status);
  if (f.minScore !== undefined) q = q.where('leads.score', '>=', f.minScore);
  if (f.maxScore !== undefined) q = q.where('leads.score', '<=', f.maxScore);
  if (f.category?.length) q = q.where('leads.category', 'in', f.category);
  if (f.site?.length) q = q.where('leads.site_id', 'in', f.site);
  // Page columns are looked up by subquery, never joined: a count over 100 000 leads stays an index scan.
  const langs = f.lang;
  if (langs?.length)
    q = q.where('leads.page_id', 'in', (eb) =>
      eb.selectFrom('pages').select('pages.id').where('pages.lang', 'in', langs),
    );
  const claimed = f.claimed;
  if (claimed === 'none')
    q = q.where('leads.id', 'not in', (eb) => eb.selectFrom('claims').select('claims.lead_id'));
  else if (claimed)
    q = q.where('leads.id', 'in', (eb) =>
      eb.selectFrom('claims').select('claims.lead_id').where('claims.analyst', '=', claimed),
    );
  if (f.since) q = q.where('leads.last_seen', '>=', f.since);
  if (f.until) q = q.where('leads.last_seen', '<', f.until);
  if (f.substance) {
    const pattern = `%${likeEscape(JSON.stringify(f.substance.toLowerCase()))}%`;
    q = q.where(sql<boolean>`lower(leads.substances) like ${pattern} escape '\\'`);
  }
  if (f.identifier) {
    const m = /^([a-z]+):(.+)$/.exec(f.identifier);
    const raw = f.identifier;
    const values = [...new Set([raw, raw.replace(/^@/, '').toLowerCase(), m?.[2] ?? raw])];
    q = q.where('leads.page_id', 'in', (eb) => {
      let sub = eb
        .selectFrom('page_identifiers')
        .innerJoin('identifiers', 'identifiers.id', 'page_identifiers.identifier_id')
        .select('page_identifiers.page_id');
      sub = m
        ? sub.where((w) =>
            w.or([
              w('identifiers.value', 'in', values),
              w.and([w('identifiers.type', '=', m[1]!), w('identifiers.value', '=', m[2]!)]),
            ]),
          )
        : sub.where('identifiers.value', 'in', values);
      return sub;
    });
  }
  if (f.q) q = applySearch(q, f.q, f.inText === true, dialect);
  return q;
}

const QUEUE_COLUMNS = [
  'leads.id',
  'leads.page_id',
  'leads.site_id',
  'leads.url',
  'leads.title',
  'leads.score',
  'leads.kind',
  'leads.category',
  'leads.substances',
  'leads.status',
  'leads.first_seen',
  'leads.last_seen',
  'leads.gone_at',
  'leads.cluster_id',
] as const;

export interface AuditQuery {
  leadId?: number;
  analyst?: string;
  action?: string;
  /** Rows with an id below this (keyset, newest first). */
  beforeId?: number;
  limit?: number;
}

export interface LexiconVersionRow {
  version: string;
  first: string;
  last: string;
  /** Lead history events that recorded it. */
  events: number;
  /** Leads (with a kind) carrying it now. */
  leads: number;
  /** Lead rows carrying it now, dropped ones included. */
  rows: number;
  /** False: no history recorded it, times are its leads' last-seen times. */
  fromHistory: boolean;
}

/** The review app's reads of leads, reached as `store.review`: the queue, its counts and menus, the audit log. */
export class ReviewQueries {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  /** One page of the queue, keyset-paginated on (sort column, id): as fast deep in the queue as at its top. */
  async queuePage(f: QueueFilter, page: PageRequest): Promise<QueuePage> {
    const col = `leads.${f.sort}` as const;
    const backwards = page.before !== undefined;
    const dir = (f.dir === 'desc') !== backwards ? 'desc' : 'asc';
    let q = applyFilter(
      this.db
        .selectFrom('leads')
        .select(QUEUE_COLUMNS)
        .select((eb) =>
          eb.selectFrom('pages').select('pages.lang').whereRef('pages.id', '=', 'leads.page_id').as('lang'),
        ),
      f,
      this.dialect,
    );
    const cursor = page.after ?? page.before;
    if (cursor) {
      const op = dir === 'desc' ? '<' : '>';
      q = q.where((eb: ExpressionBuilder<DB, 'leads'>) =>
        f.sort === 'id'
          ? eb('leads.id', op, cursor.id)
          : eb(eb.refTuple(col, 'leads.id'), op, eb.tuple(cursor.v as never, cursor.id)),
      );
    }
    if (f.sort !== 'id') q = q.orderBy(col, dir);
    const rows = (await q
      .orderBy('leads.id', dir)
      .limit(page.limit + 1)
      .execute()) as QueueRow[];
    const more = rows.length > page.limit;
    if (more) rows.pop();
    if (backwards) rows.reverse();
    const key = (r: QueueRow): Cursor => ({ v: r[f.sort], id: r.id });
    const first = rows[0];
    const last = rows.at(-1);
    return {
      rows,
      next: last && (backwards || more) ? key(last) : null,
      prev: first && (backwards ? more : page.after !== undefined) ? key(first) : null,
    };
  }

  /**
   * How many leads match a filter, counting at most `cap` (then `capped` is true): the queue shows
   * "10 000+" rather than scanning every match of a broad filter.
   */
  async countLeads(f: QueueFilter, cap = 10_000): Promise<{ n: number; capped: boolean }> {
    const matches = applyFilter(
      this.db.selectFrom('leads').select(sql<number>`1`.as('one')),
      f,
      this.dialect,
    ).limit(cap + 1);
    const row = await this.db
      .selectFrom(matches.as('m'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    const n = Number(row?.n ?? 0);
    return n > cap ? { n: cap, capped: true } : { n, capped: false };
  }

  /** Every lead matching a filter, in queue order, `batch` rows at a time (exports). */
  async *eachLead(f: QueueFilter, batch = 1000) {
    let after: Cursor | undefined;
    for (;;) {
      let q = applyFilter(this.db.selectFrom('leads').selectAll('leads'), f, this.dialect);
      const col = `leads.${f.sort}` as const;
      const op = f.dir === 'desc' ? '<' : '>';
      const c = after;
      if (c)
        q = q.where((eb) =>
          f.sort === 'id'
            ? eb('leads.id', op, c.id)
            : eb(eb.refTuple(col, 'leads.id'), op, eb.tuple(c.v as never, c.id)),
        );
      if (f.sort !== 'id') q = q.orderBy(col, f.dir);
      const rows = await q.orderBy('leads.id', f.dir).limit(batch).execute();
      if (!rows.length) return;
      yield rows;
      const last = rows.at(-1)!;
      after = { v: last[f.sort], id: last.id };
      if (rows.length < batch) return;
    }
  }

  /** Values for the queue's filter menus (sites, categories, languages), from the leads present. */
  async facets() {
    const [sites, categories, langs] = await Promise.all([
      this.db.selectFrom('leads').select('site_id as v').distinct().orderBy('v').execute(),
      this.db
        .selectFrom('leads')
        .select('category as v')
        .distinct()
        .where('category', 'is not', null)
        .orderBy('v')
        .execute(),
      // Languages of any stored page (an index scan), not only of leads' pages.
      this.db
        .selectFrom('pages')
        .select('lang as v')
        .distinct()
        .where('lang', 'is not', null)
        .orderBy('v')
        .execute(),
    ]);
    const vals = (rows: Array<{ v: string | null }>) => rows.flatMap((r) => (r.v === null ? [] : [r.v]));
    return { sites: vals(sites), categories: vals(categories), langs: vals(langs) };
  }

  /** Counts of leads by status. */
  async statusCounts(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('leads')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** The other leads of a lead's cluster (at most `limit`), strongest first. */
  async clusterMates(clusterId: number, leadId: number, limit = 50) {
    return this.db
      .selectFrom('leads')
      .select(['id', 'site_id', 'title', 'score', 'status', 'category'])
      .where('cluster_id', '=', clusterId)
      .where('id', '!=', leadId)
      .orderBy('score', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** The audit log, newest first. */
  async auditLog(a: AuditQuery = {}) {
    let q = this.db.selectFrom('audit').selectAll();
    if (a.leadId !== undefined) q = q.where('lead_id', '=', a.leadId);
    if (a.analyst) q = q.where('analyst', '=', a.analyst);
    if (a.action) q = q.where('action', '=', a.action);
    if (a.beforeId !== undefined) q = q.where('id', '<', a.beforeId);
    return q
      .orderBy('id', 'desc')
      .limit(a.limit ?? 100)
      .execute();
  }

  /** What the queue shows beside its rows, in four indexed queries however many rows: claims, identifier counts, cluster sizes, and the reasons, listing and text head the review app reads fields from. */
  async queueDetails(rows: readonly Pick<QueueRow, 'id' | 'page_id' | 'cluster_id'>[]) {
    const ids = rows.map((r) => r.id);
    const pageIds = rows.map((r) => r.page_id);
    const clusterIds = [...new Set(rows.flatMap((r) => (r.cluster_id === null ? [] : [r.cluster_id])))];
    const [claims, idCounts, clusters, details] = await Promise.all([
      this.db.selectFrom('claims').select(['lead_id', 'analyst']).where('lead_id', 'in', ids).execute(),
      this.db
        .selectFrom('page_identifiers')
        .select(['page_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('page_id', 'in', pageIds)
        .groupBy('page_id')
        .execute(),
      clusterIds.length
        ? this.db
            .selectFrom('leads')
            .select(['cluster_id', (eb) => eb.fn.countAll<number>().as('n')])
            .where('cluster_id', 'in', clusterIds)
            .groupBy('cluster_id')
            .execute()
        : [],
      this.db
        .selectFrom('leads')
        .select(['leads.id', 'leads.reasons', 'leads.title'])
        .select((eb) => [
          eb
            .selectFrom('pages')
            .select('pages.listing')
            .whereRef('pages.id', '=', 'leads.page_id')
            .as('listing'),
          // The city is looked for in the beginning of the text: a queue page never reads whole pages.
          eb
            .selectFrom('pages')
            .select(sql<string>`substr(pages.text, 1, 2000)`.as('head'))
            .whereRef('pages.id', '=', 'leads.page_id')
            .as('head'),
        ])
        .where('leads.id', 'in', ids)
        .execute(),
    ]);
    return { claims, idCounts, clusters, details };
  }

  /**
   * The lexicon versions recorded in the store: first and last time a classification recorded each one
   * (lead history; for a version without history, its leads' last-seen times), and the leads carrying it now.
   */
  async lexiconVersions(limit = 100): Promise<LexiconVersionRow[]> {
    const [history, leads] = await Promise.all([
      this.db
        .selectFrom('lead_history')
        .select((eb) => [
          'lexicon_version',
          eb.fn.min('at').as('first'),
          eb.fn.max('at').as('last'),
          eb.fn.countAll<number>().as('n'),
        ])
        .where('lexicon_version', 'is not', null)
        .groupBy('lexicon_version')
        .execute(),
      this.db
        .selectFrom('leads')
        .select((eb) => [
          'lexicon_version',
          eb.fn.min('last_seen').as('first'),
          eb.fn.max('last_seen').as('last'),
          eb.fn.countAll<number>().as('rows'),
          sql<number>`sum(case when kind is not null then 1 else 0 end)`.as('leads'),
        ])
        .groupBy('lexicon_version')
        .execute(),
    ]);
    const out = new Map<string, LexiconVersionRow>();
    for (const h of history) {
      out.set(h.lexicon_version!, {
        version: h.lexicon_version!,
        first: h.first,
        last: h.last,
        events: Number(h.n),
        leads: 0,
        rows: 0,
        fromHistory: true,
      });
    }
    for (const l of leads) {
      const row = out.get(l.lexicon_version);
      if (row) {
        row.leads = Number(l.leads ?? 0);
        row.rows = Number(l.rows);
      } else {
        out.set(l.lexicon_version, {
          version: l.lexicon_version,
          first: l.first,
          last: l.last,
          events: 0,
          leads: Number(l.leads ?? 0),
          rows: Number(l.rows),
          fromHistory: false,
        });
      }
    }
    return [...out.values()].sort((a, b) => b.last.localeCompare(a.last)).slice(0, limit);
  }
}
