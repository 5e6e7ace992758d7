import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import {
  applyFilter,
  type Cursor,
  type Dialect,
  type PageRequest,
  type QueueFilter,
} from './queue-filter.ts';
import type { Database, LeadRow } from './schema.ts';

type DB = Database;

/** A row of the queue: the lead without its reasons, plus its page's language. */
export type QueueRow = Pick<
  LeadRow,
  | 'id'
  | 'page_id'
  | 'site_id'
  | 'url'
  | 'title'
  | 'score'
  | 'kind'
  | 'category'
  | 'substances'
  | 'status'
  | 'first_seen'
  | 'last_seen'
  | 'gone_at'
  | 'cluster_id'
> & { lang: string | null };

export interface QueuePage {
  rows: QueueRow[];
  /** Cursor of the next page (`after`), when there are more rows. */
  next: Cursor | null;
  /** Cursor of the previous page (`before`), when this is not the first page. */
  prev: Cursor | null;
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
