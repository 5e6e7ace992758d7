import type { Insertable, Kysely, QueryCreator } from 'kysely';
import { sql } from 'kysely';
import { type Classification, compactReasons } from '../classify/index.ts';
import type { Identifier, ListingFields } from '../extract/index.ts';
import {
  type ClusterView,
  clusterView,
  findIdentifier,
  type IdentifierStats,
  type IdentifierLink,
  type IgnoreSet,
  identifierKey,
  identifierStats,
  identifiersByPage,
  identifiersToStore,
  leadsWithIdentifier,
  linkPage,
  linksOf,
  pageIdentifiers,
  upsertIdentifiers,
} from './linking.ts';
import {
  clusterLead,
  countSiteLinks,
  type PageLinkRow,
  pageLinksJson,
  foldSiteCounts,
  queueSiteLinks,
  DEFAULT_SITE_WIDE,
  reconcileSiteWide,
  retryConflicts,
  type SiteWidePolicy,
} from './clusters.ts';
import {
  type CrawlEndState,
  type CrawlListRow,
  crawlStates,
  failedPages,
  failuresByReason,
  listCrawls,
  markCrawl,
  storedPageId,
} from './crawl-rows.ts';
import { Analysts } from './analysts.ts';
import { ReviewQueries } from './review-queries.ts';
import { Triage } from './triage-rows.ts';
import { EvidenceRows } from './evidence-rows.ts';
import { appendLeadEvent, lastLeadEvent, leadEventValues, leadHistory, recordLeadEvent } from './history.ts';
import { isPostgres, type OpenDbOptions, type OpenedDb, openDb } from './open.ts';
import { GroupCommit, type GroupCommitStats, type Write, type WriteFn } from './group-commit.ts';
import { claimPivot } from './pivots.ts';
import type {
  Database,
  IdentifierRow,
  LeadRow,
  LeadStatus,
  LeadsTable,
  PagesTable,
  PageRow,
} from './schema.ts';

export interface FetchedRecord {
  crawlId: string;
  siteId: string;
  url: string;
  finalUrl: string;
  status: number;
  contentHash: string;
  title: string;
  text: string;
  listing: ListingFields | null;
  lang: string | null;
  identifiers: Identifier[];
  fetchedVia: 'http' | 'browser';
  /** How robots.txt was treated (`obey`, `ignore`, `obey:missing`...). */
  robots: string;
  foundVia: string;
  depth: number;
  at: string;
}

export interface FailureRecord {
  crawlId: string;
  siteId: string;
  url: string;
  status: number | null;
  state: 'failed' | 'gone';
  reason: string;
  message: string;
  foundVia: string;
  depth: number;
  at: string;
}

export interface LeadFilter {
  status?: LeadStatus[];
  siteId?: string[];
  /** ISO date: leads last seen at or after it. */
  since?: string;
  minScore?: number;
  limit?: number;
}

/** What classifying a page reads: the columns `processClassify` uses, and the id of the page's lead (null: none yet). */
export type PageToClassify = Pick<
  PageRow,
  'id' | 'site_id' | 'url' | 'title' | 'text' | 'listing' | 'found_via' | 'content_hash'
> & { lead_id: number | null };

export interface StoreOptions extends OpenDbOptions {
  /** `type:value` of identifiers never stored as links (`linking.ignore`). */
  ignoreIdentifiers?: Iterable<string>;
  /** When an identifier is site-wide (`linking.siteWideShare`, `linking.siteWideMinPages`); default 0.2 and 20. */
  siteWide?: Partial<SiteWidePolicy>;
}

/** PostgreSQL: how long page saves' site counts wait to be added up (see `Store.siteCounts`). */
const FOLD_MS = 200;

export interface CrawlCounts {
  pages: number;
  failed: number;
  leads: number;
  newLeads: number;
}

/**
 * The leads store: pages, leads and crawls. The one query layer for SQLite and PostgreSQL and the one
 * gateway to the database: other folders ask it (or its `captures`, `analysts`, `triage` and `review`
 * facades) and never hold its query builder.
 */
export class Store {
  private readonly db: Kysely<Database>;
  readonly location: string;
  readonly dialect: OpenedDb['dialect'];

  /** `type:value` of identifiers that never link leads (from `linking.ignore` in spiderweb.yaml). */
  readonly ignore: IgnoreSet;

  /** When an identifier is a site's own (on too many of its pages) and so links nothing there (`linking.siteWide*`). */
  readonly siteWide: SiteWidePolicy;

  /** SQLite: the group commit every hot-path write goes through; null on PostgreSQL. */
  private readonly writer: GroupCommit | null;
  /** `write`, bound: what the store's parts (evidence, analysts, triage, site-wide marks) write through. */
  private readonly writes: Write = (fn, opts) => this.write(fn, opts);

  /** Evidence captures of pages, sealed for leads (the files themselves are src/evidence's). */
  readonly captures: EvidenceRows;

  /** Analysts' accounts, sessions and tokens (src/review hashes the secrets). */
  readonly analysts: Analysts;

  /** Analysts' decisions, claims, saved filters and the audit log. */
  readonly triage: Triage;

  /** The review app's reads: the queue, its counts and menus, the audit log, lexicon versions. */
  readonly review: ReviewQueries;

  private constructor(opened: OpenedDb, ignore: IgnoreSet, siteWide: SiteWidePolicy) {
    this.db = opened.db;
    this.location = opened.location;
    this.dialect = opened.dialect;
    this.ignore = ignore;
    this.siteWide = siteWide;
    this.writer = opened.sqlite ? new GroupCommit(() => this.db, opened.sqlite) : null;
    this.captures = new EvidenceRows(this.db, this.writes);
    this.analysts = new Analysts(this.db, this.writes);
    this.triage = new Triage(this.db, this.writes);
    this.review = new ReviewQueries(this.db, this.dialect);
  }

  static async open(url: string | null, dataDir: string, opts: StoreOptions = {}): Promise<Store> {
    const { ignoreIdentifiers, siteWide, ...dbOpts } = opts;
    return new Store(await openDb(url, dataDir, dbOpts), new Set(ignoreIdentifiers ?? []), {
      ...DEFAULT_SITE_WIDE,
      ...siteWide,
    });
  }

  /**
   * Runs `fn` as one atomic write. SQLite: in the next group commit with other jobs' writes (settles
   * after the commit; never blocks the event loop on another process's lock). PostgreSQL: its own
   * transaction, retried on a serialisation conflict or deadlock.
   */
  write<T>(fn: WriteFn<T>, opts: { statement?: boolean } = {}): Promise<T> {
    if (this.writer) return this.writer.run(fn);
    if (opts.statement) return retryConflicts(() => fn(this.db));
    return retryConflicts(() => this.db.transaction().execute(fn));
  }

  /** SQLite: commits and writes so far (how well writes group); null on PostgreSQL. */
  writeStats(): GroupCommitStats | null {
    return this.writer ? { ...this.writer.stats } : null;
  }

  /**
   * Marks identifiers site-wide (or linking again) as the configured policy says for the counts stored,
   * splitting or joining the clusters affected. Workers run it at start: after a change of
   * `linking.siteWideShare`/`siteWideMinPages`, or on a store made before site-wide identifiers.
   * Returns how many marks changed.
   */
  async reconcileSiteWide(): Promise<number> {
    await this.foldSiteCounts();
    return reconcileSiteWide(this.db, this.siteWide, this.writes);
  }

  /**
   * A page's counts for its site (see `countSiteLinks`). SQLite's one writer adds them in place.
   * PostgreSQL queues them as rows of their own, added up every `FOLD_MS` in a short transaction
   * (`countLater`): in place, every page of a market would wait its turn on its footer contacts' rows.
   */
  private siteCounts(tx: Kysely<Database>, siteId: string, added: number[], newPage: boolean) {
    if (!this.writer) return queueSiteLinks(tx, siteId, added, newPage);
    return countSiteLinks(tx, siteId, new Map(added.map((i) => [i, 1])), newPage ? 1 : 0, this.siteWide);
  }

  private foldTimer: NodeJS.Timeout | null = null;
  private folding: Promise<number | null> | null = null;

  /** PostgreSQL: folds the queued counts in `FOLD_MS`, and again later while a fold fails or another session's runs. */
  private countLater() {
    this.foldTimer ??= setTimeout(() => {
      this.foldTimer = null;
      this.fold(false).then(
        (folded) => folded === null && this.countLater(),
        () => this.countLater(),
      );
    }, FOLD_MS).unref();
  }

  private async fold(wait: boolean): Promise<number | null> {
    while (this.folding) await this.folding.catch(() => null);
    this.folding = foldSiteCounts(this.db, this.siteWide, wait);
    try {
      return await this.folding;
    } finally {
      this.folding = null;
    }
  }

  /**
   * Brings the site counts and site-wide marks up to date with every page saved so far. PostgreSQL adds
   * up the queued counts now (workers do it every `FOLD_MS`, and on close); SQLite counts in the page's
   * write, so there is nothing to do.
   */
  async foldSiteCounts(): Promise<void> {
    if (!this.writer) await this.fold(true);
  }

  async close(): Promise<void> {
    await this.writer?.drain();
    if (this.foldTimer) clearTimeout(this.foldTimer);
    this.foldTimer = null;
    try {
      await this.foldSiteCounts();
    } finally {
      await this.db.destroy();
    }
  }

  /**
   * Records a fetched page (insert, or update on a recrawl). `changed` is false when the text is the
   * same as last time, so the caller may skip re-classifying. `stored` is a page new to the store as
   * `pageToClassify` would read it back (it has no lead yet): the worker that fetched it classifies it
   * without that read.
   */
  async recordFetched(
    r: FetchedRecord,
  ): Promise<{ pageId: number; changed: boolean; stored?: PageToClassify }> {
    const values = {
      final_url: r.finalUrl,
      status: r.status,
      state: 'fetched' as const,
      fail_reason: null,
      fail_message: null,
      content_hash: r.contentHash,
      title: r.title,
      text: r.text,
      listing: r.listing ? JSON.stringify(r.listing) : null,
      lang: r.lang,
      identifiers: JSON.stringify(r.identifiers),
      fetched_via: r.fetchedVia,
      robots: r.robots,
      last_fetched: r.at,
      crawl_id: r.crawlId,
    };
    const inserted = (id: number) => ({
      pageId: id,
      changed: true,
      stored: {
        id,
        site_id: r.siteId,
        url: r.url,
        title: values.title,
        text: values.text,
        listing: values.listing,
        found_via: r.foundVia,
        content_hash: values.content_hash,
        lead_id: null,
      },
    });
    // PostgreSQL: the identifiers, and a page new to the store (most of a crawl) with its edges, in one
    // statement without a transaction of its own; a URL stored already is updated below with the links
    // it returns. SQLite has one writer: all of it in the write, so the batch holds them together.
    let upserted: IdentifierLink[] | null = null;
    if (!this.writer) {
      const first = await retryConflicts(() => insertNewPage(this.db, r, values, this.ignore));
      if (first.pageId !== null) {
        this.countLater();
        return inserted(first.pageId);
      }
      upserted = first.links;
    }
    const saved = await this.write(async (tx) => {
      const links = upserted ?? (await upsertIdentifiers(tx, r.identifiers, r.at, this.ignore));
      // PostgreSQL tried the insert above: the URL is stored.
      const found = upserted
        ? { existing: await findPage(tx, r.siteId, r.url) }
        : await findOrInsertPage(tx, r, values);
      if ('inserted' in found) {
        const added = await linkPage(tx, found.inserted, links, r.at);
        await this.siteCounts(tx, r.siteId, added, true);
        return inserted(found.inserted);
      }
      const before = found.existing;
      await tx
        .updateTable('pages')
        .set({ ...values, fetch_count: sql`fetch_count + 1` })
        .where('id', '=', before.id)
        .execute();
      const added = await linkPage(tx, before.id, links, r.at);
      // A page that only ever failed before (no text) counts among the site's pages now.
      await this.siteCounts(tx, r.siteId, added, before.content_hash === null);
      // The lead row last: a cluster split above (SQLite counts in place) may move this lead.
      if (before.state === 'gone') {
        await tx.updateTable('leads').set({ gone_at: null }).where('page_id', '=', before.id).execute();
        await recordLeadEvent(tx, before.id, 'back', r.at, { contentHash: r.contentHash });
      }
      return { pageId: before.id, changed: before.content_hash !== r.contentHash };
    });
    if (!this.writer) this.countLater();
    return saved;
  }

  /** Records why a URL ended without a usable page. A page already fetched keeps its text; `gone` marks its lead. */
  async recordFailure(r: FailureRecord): Promise<void> {
    await this.write(async (tx) => {
      const values = {
        status: r.status,
        state: r.state,
        fail_reason: r.reason,
        fail_message: r.message.slice(0, 1000),
        last_fetched: r.at,
        crawl_id: r.crawlId,
      };
      const found = await findOrInsertPage(tx, r, {
        ...values,
        final_url: null,
        title: '',
        text: '',
        identifiers: '[]',
      });
      if ('inserted' in found) return;
      const before = found.existing;
      await tx.updateTable('pages').set(values).where('id', '=', before.id).execute();
      if (r.state === 'gone') {
        const marked = await tx
          .updateTable('leads')
          .set({ gone_at: r.at })
          .where('page_id', '=', before.id)
          .where('gone_at', 'is', null)
          .executeTakeFirst();
        if (Number(marked.numUpdatedRows) > 0) await recordLeadEvent(tx, before.id, 'gone', r.at);
      }
    });
  }

  async page(id: number): Promise<PageRow | undefined> {
    return this.db.selectFrom('pages').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * A page as the classifier reads it, with its lead's id, in one statement: only the columns it uses
   * (not the identifiers JSON and fetch bookkeeping of `page`); pass it to `saveClassification`, which
   * then need not look the lead up again.
   */
  async pageToClassify(id: number): Promise<PageToClassify | undefined> {
    return this.db
      .selectFrom('pages')
      .leftJoin('leads', 'leads.page_id', 'pages.id')
      .select([
        'pages.id',
        'pages.site_id',
        'pages.url',
        'pages.title',
        'pages.text',
        'pages.listing',
        'pages.found_via',
        'pages.content_hash',
        'leads.id as lead_id',
      ])
      .where('pages.id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Writes the classification of a page. A lead is created the first time a page crosses the threshold
   * and updated afterwards (never duplicated: one lead per page); its analyst status is kept. A page that
   * falls below the threshold keeps its lead with the new score, so nothing reviewed is lost.
   *
   * A `page` with `lead_id` (from `pageToClassify`) says whether the page had a lead when it was read,
   * so the lead is not looked up again; a lead another worker made since is still found (the insert
   * yields to it) and updated.
   */
  async saveClassification(
    page: Pick<PageRow, 'id' | 'site_id' | 'url' | 'title' | 'found_via' | 'content_hash'> & {
      lead_id?: number | null;
    },
    c: Classification,
    crawlId: string,
    at: string,
  ): Promise<{ leadId: number | null; created: boolean }> {
    const leadOfPage = async (db: Kysely<Database>) =>
      (await db.selectFrom('leads').select(['id']).where('page_id', '=', page.id).executeTakeFirst())?.id;
    const known = page.lead_id === undefined ? await leadOfPage(this.db) : (page.lead_id ?? undefined);
    // Most pages are no lead and never were: nothing to write, so nothing to serialise.
    if (known === undefined && !c.lead) return { leadId: null, created: false };
    const detail = {
      score: c.score,
      category: c.category,
      contentHash: page.content_hash,
      lexiconVersion: c.lexiconVersion,
    };
    const values = {
      title: page.title,
      score: c.score,
      kind: c.kind,
      category: c.category,
      substances: JSON.stringify(c.substances),
      reasons: JSON.stringify(compactReasons(c.reasons)),
      lexicon_version: c.lexiconVersion,
      crawl_id: crawlId,
    };
    // The lead, its cluster and its history commit together: a crash leaves all of them or none.
    return this.write(async (tx) => {
      const lead = { id: known ?? 0, page_id: page.id, site_id: page.site_id };
      if (known === undefined) {
        const row = await insertLead(
          tx,
          {
            ...values,
            page_id: page.id,
            site_id: page.site_id,
            url: page.url,
            found_via: page.found_via,
            first_seen: at,
            last_seen: at,
          },
          leadEventValues('created', at, detail),
        );
        if (row) {
          lead.id = row.id;
          await clusterLead(tx, { ...lead, fresh: true, ...(row.links && { links: row.links }) });
          return { leadId: row.id, created: true };
        }
        // Another worker created it since we looked: the lead exists once, as it should, and this
        // classification updates it like any later one.
        const other = await leadOfPage(tx);
        if (other === undefined) throw new Error(`the lead of page ${page.id} vanished while writing it`);
        lead.id = other;
      }
      const update = () =>
        tx
          .updateTable('leads')
          .set(c.lead ? { ...values, last_seen: at } : values)
          .where('id', '=', lead.id)
          .execute();
      // PostgreSQL: the cluster's locks before the lead row's (a merge holding them may move this lead).
      // SQLite: a write first, so the transaction holds the write lock before it reads.
      if (isPostgres(tx)) {
        await clusterLead(tx, lead);
        await update();
      } else {
        await update();
        await clusterLead(tx, lead);
      }
      // History keeps what changed: the page's text (a recrawl) or the decision (new lexicons).
      const last = await lastLeadEvent(tx, lead.id);
      if (
        !last ||
        last.content_hash !== page.content_hash ||
        last.category !== c.category ||
        Math.abs((last.score ?? 0) - c.score) >= 0.05
      ) {
        await appendLeadEvent(tx, lead.id, 'changed', at, detail);
      }
      return { leadId: lead.id, created: false };
    });
  }

  async leads(filter: LeadFilter = {}): Promise<LeadRow[]> {
    let q = this.db.selectFrom('leads').selectAll();
    if (filter.status?.length) q = q.where('status', 'in', filter.status);
    if (filter.siteId?.length) q = q.where('site_id', 'in', filter.siteId);
    if (filter.since) q = q.where('last_seen', '>=', filter.since);
    if (filter.minScore !== undefined) q = q.where('score', '>=', filter.minScore);
    q = q.orderBy('score', 'desc').orderBy('id', 'asc');
    if (filter.limit) q = q.limit(filter.limit);
    return q.execute();
  }

  async lead(id: number): Promise<LeadRow | undefined> {
    return this.db.selectFrom('leads').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A lead's history: created, changed (text or decision), gone, back. */
  history(leadId: number) {
    return leadHistory(this.db, leadId);
  }

  pageIdentifiers(pageId: number): Promise<IdentifierRow[]> {
    return pageIdentifiers(this.db, pageId);
  }

  /** Which of `identifierIds` are site-wide on `siteId` (the site's own contacts: shown, but they link no leads there). */
  async siteWideIdentifiers(siteId: string, identifierIds: readonly number[]): Promise<Set<number>> {
    if (!identifierIds.length) return new Set();
    const rows = await this.db
      .selectFrom('site_identifiers')
      .select('identifier_id')
      .where('site_id', '=', siteId)
      .where('identifier_id', 'in', [...identifierIds])
      .where('site_wide', '=', 1)
      .execute();
    return new Set(rows.map((r) => r.identifier_id));
  }

  /** `type:value` identifiers of many pages at once, by page id (for exports and the queue). */
  identifiersByPage(pageIds: number[]): Promise<Map<number, string[]>> {
    return identifiersByPage(this.db, pageIds);
  }

  cluster(clusterId: number): Promise<ClusterView | null> {
    return clusterView(this.db, clusterId);
  }

  /** Identifiers with the number of leads carrying each, most linked first. */
  identifiers(
    filter: { type?: string[]; minLeads?: number; limit?: number } = {},
  ): Promise<IdentifierStats[]> {
    return identifierStats(this.db, filter);
  }

  /** The identifier with this value (any type, or the given one). */
  findIdentifier(value: string, type?: string): Promise<IdentifierRow | undefined> {
    return findIdentifier(this.db, value, type);
  }

  /** Leads carrying an identifier. */
  leadsWithIdentifier(identifierId: number): Promise<LeadRow[]> {
    return leadsWithIdentifier(this.db, identifierId);
  }

  /**
   * Claims the one pivot search of `identifierId` on `siteId`. False when an earlier crawl made it or
   * when the site has had `maxPerDay` pivots in the last 24 hours. True again within the crawl that
   * claimed it, so a job retried after a crash re-enqueues it (the crawl's seen-set keeps it single).
   */
  async claimPivot(
    siteId: string,
    identifierId: number,
    url: string,
    crawlId: string,
    at: string,
    maxPerDay: number,
  ): Promise<boolean> {
    return this.write((tx) => claimPivot(tx, siteId, identifierId, url, crawlId, at, maxPerDay));
  }

  async startCrawl(id: string, siteIds: string[], at: string): Promise<void> {
    await this.write((tx) =>
      tx
        .insertInto('crawls')
        .values({ id, started_at: at, sites: JSON.stringify(siteIds), finished_at: null, summary: null })
        .execute(),
    );
  }

  /** Marks how a running crawl ended (see `markCrawl`); false when it was already marked. */
  markCrawl(id: string, state: CrawlEndState, reason: string | null, at: string): Promise<boolean> {
    return this.write((tx) => markCrawl(tx, id, state, reason, at));
  }

  /** The latest crawls (or the one with `id`), newest first. */
  listCrawls(limit: number, id?: string): Promise<CrawlListRow[]> {
    return listCrawls(this.db, limit, id);
  }

  /** How many crawls are in each state. */
  crawlStates(): Promise<Record<string, number>> {
    return crawlStates(this.db);
  }

  /** The page this crawl already stored for a URL, or null (a retried fetch job skips its request then). */
  storedPageId(crawlId: string, siteId: string, url: string): Promise<number | null> {
    return storedPageId(this.db, crawlId, siteId, url);
  }

  /** A crawl's failed pages by reason (`timeout`, `robots`, ...). */
  failuresByReason(crawlId: string): Promise<Record<string, number>> {
    return failuresByReason(this.db, crawlId);
  }

  /** A crawl's failed pages (newest first), optionally of one reason. */
  failedPages(crawlId: string, reason: string | undefined, limit = 500) {
    return failedPages(this.db, crawlId, reason, limit);
  }

  async finishCrawl(id: string, at: string, summary: object): Promise<void> {
    await this.write((tx) =>
      tx
        .updateTable('crawls')
        .set({ finished_at: at, summary: JSON.stringify(summary) })
        .where('id', '=', id)
        .execute(),
    );
  }

  /** Counts from the record (not the live counters): what this crawl fetched, failed and found. */
  async crawlCounts(crawlId: string): Promise<CrawlCounts> {
    const pages = await this.db
      .selectFrom('pages')
      .select((eb) => [eb.fn.countAll<number>().as('n'), 'state'])
      .where('crawl_id', '=', crawlId)
      .groupBy('state')
      .execute();
    const leads = await this.db
      .selectFrom('leads')
      .select((eb) => [eb.fn.countAll<number>().as('n')])
      .where('crawl_id', '=', crawlId)
      .where('last_seen', '>=', sql<string>`(select started_at from crawls where id = ${crawlId})`)
      .executeTakeFirst();
    const created = await this.db
      .selectFrom('leads')
      .select((eb) => [eb.fn.countAll<number>().as('n')])
      .where('crawl_id', '=', crawlId)
      .where('first_seen', '>=', sql<string>`(select started_at from crawls where id = ${crawlId})`)
      .executeTakeFirst();
    const by = (s: string) => Number(pages.find((p) => p.state === s)?.n ?? 0);
    return {
      pages: by('fetched') + by('gone'),
      failed: by('failed'),
      leads: Number(leads?.n ?? 0),
      newLeads: Number(created?.n ?? 0),
    };
  }
}

function findPage(db: Kysely<Database>, siteId: string, url: string): Promise<PageHead> {
  return db
    .selectFrom('pages')
    .select(['id', 'content_hash', 'state'])
    .where('site_id', '=', siteId)
    .where('url', '=', url)
    .executeTakeFirstOrThrow();
}

type PageHead = Pick<PageRow, 'id' | 'content_hash' | 'state'>;

/**
 * The page row of (site, url): a new one made from `values` (first seen now, with how it was found),
 * or the stored one (also when another writer stored the same URL first). The insert comes first: a
 * new URL (most of a crawl) costs one statement, a known one two; and on SQLite the transaction takes
 * the write lock at its first statement, not after a read (a read snapshot that another process's
 * commit outdates cannot then be upgraded to a write: SQLITE_BUSY without waiting). On PostgreSQL a
 * known URL uses up a `pages.id` sequence value.
 */
async function findOrInsertPage(
  tx: Kysely<Database>,
  r: Pick<FetchedRecord, 'siteId' | 'url' | 'foundVia' | 'depth' | 'at'>,
  values: Omit<Insertable<PagesTable>, 'site_id' | 'url' | 'found_via' | 'depth' | 'first_seen'>,
): Promise<{ inserted: number } | { existing: PageHead }> {
  const inserted = await tx
    .insertInto('pages')
    .values(newPageRow(r, values))
    .onConflict((oc) => oc.columns(['site_id', 'url']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted ? { inserted: inserted.id } : { existing: await findPage(tx, r.siteId, r.url) };
}

/** The row of a page seen for the first time now. */
function newPageRow(
  r: Pick<FetchedRecord, 'siteId' | 'url' | 'foundVia' | 'depth' | 'at'>,
  values: Omit<Insertable<PagesTable>, 'site_id' | 'url' | 'found_via' | 'depth' | 'first_seen'>,
): Insertable<PagesTable> {
  return {
    ...values,
    site_id: r.siteId,
    url: r.url,
    found_via: r.foundVia,
    depth: r.depth,
    first_seen: r.at,
  };
}

/**
 * A new lead with its `created` event, unless the page has a lead already (then undefined, nothing
 * written). PostgreSQL: one statement (the event inserted from the lead's `returning`), which also
 * reads the page's links for clustering the lead.
 */
async function insertLead(
  tx: Kysely<Database>,
  lead: Insertable<LeadsTable>,
  created: ReturnType<typeof leadEventValues>,
): Promise<{ id: number; links?: PageLinkRow[] } | undefined> {
  const insert = (db: QueryCreator<Database>) =>
    db
      .insertInto('leads')
      .values(lead)
      .onConflict((oc) => oc.column('page_id').doNothing())
      .returning('id');
  if (!isPostgres(tx)) {
    const row = await insert(tx).executeTakeFirst();
    if (row)
      await tx
        .insertInto('lead_history')
        .values({ lead_id: row.id, ...created })
        .execute();
    return row;
  }
  return tx
    .with('l', insert)
    .with('h', (db) =>
      db
        .insertInto('lead_history')
        .columns(['lead_id', ...(Object.keys(created) as Array<keyof typeof created>)])
        .expression((eb) =>
          eb
            .selectFrom('l')
            .select((s) => ['l.id', ...Object.entries(created).map(([k, v]) => s.val(v).as(k))]),
        ),
    )
    .selectFrom('l')
    .select(['l.id', pageLinksJson(tx, lead.page_id, lead.site_id).as('links')])
    .executeTakeFirst();
}

/**
 * PostgreSQL, a fetched page in one statement: its identifiers upserted (in `identifiersToStore`'s
 * order) and, when the URL is new to the store, the page with its identifier links and its site's
 * queued counts (see `queueSiteLinks`). Atomic without a transaction of its own: one round trip
 * instead of six. `pageId` is null when the URL is stored already (the caller updates it in a
 * transaction, with `links`).
 */
async function insertNewPage(
  db: Kysely<Database>,
  r: Pick<FetchedRecord, 'siteId' | 'url' | 'foundVia' | 'depth' | 'at' | 'identifiers'>,
  values: Omit<Insertable<PagesTable>, 'site_id' | 'url' | 'found_via' | 'depth' | 'first_seen'>,
  ignore: IgnoreSet,
): Promise<{ pageId: number | null; links: IdentifierLink[] }> {
  const { kept, rows } = identifiersToStore(r.identifiers, ignore);
  const page: Record<string, unknown> = newPageRow(r, values);
  const columns = Object.keys(page);
  const result = await sql<{ page_id: number | null; ids: Array<[number, string, string]> }>`
    with x as (
      select * from unnest(${rows.map((i) => i.type)}::text[], ${rows.map((i) => i.value)}::text[],
        ${rows.map((i) => i.validated)}::text[], ${rows.map((i) => (i.deobfuscated ? 1 : 0))}::integer[])
        with ordinality as x(type, value, validated, deobfuscated, n)
    ), i as (
      insert into identifiers (type, value, validated, first_seen, last_seen)
      select type, value, validated, ${r.at}, ${r.at} from x order by n
      on conflict (type, value) do update set last_seen = excluded.last_seen
      returning id, type, value
    ), p as (
      insert into pages (${sql.join(columns.map((c) => sql.ref(c)))})
      values (${sql.join(columns.map((c) => page[c]))})
      on conflict (site_id, url) do nothing
      returning id
    ), l as (
      insert into page_identifiers (page_id, identifier_id, deobfuscated, first_seen)
      select p.id, i.id, x.deobfuscated, ${r.at}
      from p cross join i join x on x.type = i.type and x.value = i.value
    ), d as (
      insert into site_count_deltas (site_id, identifier_id)
      select ${r.siteId}, i.id from p cross join i
      union all select ${r.siteId}, null::integer from p
    )
    select (select id from p) as page_id,
      (select coalesce(json_agg(json_build_array(i.id, i.type, i.value)), '[]'::json) from i) as ids`.execute(
    db,
  );
  const out = result.rows[0]!;
  const ids = new Map(out.ids.map(([id, type, value]) => [identifierKey({ type, value }), id]));
  return { pageId: out.page_id, links: linksOf(kept, ids) };
}

/**
 * The store's query builder, for src/leads's own modules that are handed a store (rescore, suggest) and
 * for tests that set up rows no store method writes. Not exported from src/leads/index.ts: every other
 * folder asks the store.
 */
export function storeDb(store: Store): Kysely<Database> {
  return store['db'];
}
