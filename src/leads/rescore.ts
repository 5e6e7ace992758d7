import {
  type Classification,
  type ClassifyOptions,
  type CompiledLexicons,
  classify,
  type Reason,
  type SiteContext,
} from '../classify/index.ts';
import type { ListingFields } from '../extract/index.ts';
import { listingText } from './process-classify.ts';
import type { LeadRow, LeadStatus, PageRow } from './schema.ts';
import { type Store, storeDb } from './store.ts';

/**
 * What-if rescoring: classifies the stored pages again with other lexicons, without writing, and
 * reports what would change against the leads as they stand: new leads, dropped leads (with how
 * analysts judged them), category and kind changes, and the terms responsible. `applyRescore`
 * writes the changes through `Store.saveClassification`, which keeps analyst statuses and records
 * the lexicon version in the lead's history.
 */

/** A site's kind: on a `marketplace` a listing is judged with the sale-intent prior. */
export type SiteKind = 'web' | 'marketplace';

export interface RescoreOptions {
  /** Only pages fetched at or after this ISO time. */
  since?: string;
  /** Only pages of these sites. */
  siteIds?: string[];
  /** Kinds of configured sites; other sites are inferred from their stored leads (see `inferSiteKinds`). */
  siteKinds?: ReadonlyMap<string, SiteKind>;
  /**
   * The lexicons in force, used for the "before" reasons of pages that have no lead row (so a new
   * lead names only the terms the change brought). Without it such pages start from no reasons.
   */
  baseline?: CompiledLexicons;
  /** Called after each batch. */
  onProgress?: (done: number, total: number) => void;
  /** Pages read per query. Default 500. */
  batchSize?: number;
}

/** A lead's decision at one side of the diff. */
export interface LeadState {
  lead: boolean;
  score: number;
  kind: string | null;
  category: string | null;
}

/** A term in a diff: canonical name, group, and the forms that matched in the page. */
export interface TermRef {
  group: string;
  term: string;
  forms: string[];
  /** Strongest weight the term had in the page. */
  weight: number;
}

export interface LeadChange {
  change: 'new' | 'dropped' | 'changed' | 'rescored';
  pageId: number;
  /** Null when the page has no lead row yet. */
  leadId: number | null;
  siteId: string;
  url: string;
  title: string;
  /** The analysts' status of the existing lead row; null when there is none. */
  status: LeadStatus | null;
  /** The lead as stored (null: no lead row). */
  before: LeadState | null;
  after: LeadState;
  /** Terms present after but not before, and the reverse. */
  termsAdded: TermRef[];
  termsRemoved: TermRef[];
  /** Terms in both whose weight moved. */
  termsReweighted: Array<{ group: string; term: string; before: number; after: number }>;
  /** Dropping (or turning into a non-lead) a lead analysts confirmed or escalated. */
  flagged: boolean;
}

/** How many leads a term brought in, lost, or moved. */
export interface TermImpact {
  group: string;
  term: string;
  /** New leads the term appears in (added to the page by the change). */
  added: number;
  /** Dropped leads the term disappeared from. */
  dropped: number;
  /** Category/kind changes and rescored leads where the term appeared, vanished or was reweighted. */
  changed: number;
}

export interface RescoreDiff {
  lexiconVersion: string;
  /** Lexicon versions recorded on the current leads of the scanned pages. */
  currentVersions: string[];
  pages: number;
  leadsBefore: number;
  leadsAfter: number;
  added: LeadChange[];
  dropped: LeadChange[];
  /** Still a lead, with another category or kind. */
  changed: LeadChange[];
  /** Still a lead, same category and kind, but another score or other terms. */
  rescored: LeadChange[];
  /** Dropped leads that analysts confirmed or escalated. */
  flagged: LeadChange[];
  terms: TermImpact[];
  /** The kind each scanned site was judged as, and whether it was inferred. */
  sites: Array<{ siteId: string; kind: SiteKind; inferred: boolean }>;
}

const JUDGED_POSITIVE: ReadonlySet<string> = new Set(['confirmed', 'escalated']);

/** Text, title and context a stored page is classified with: the rule of `processClassify`. */
export function pageInput(
  page: Pick<PageRow, 'text' | 'title' | 'listing'>,
  kind: SiteKind,
): { text: string; opts: ClassifyOptions } {
  const listing = page.listing ? (JSON.parse(page.listing) as ListingFields) : null;
  const text = listing ? listingText(listing, page.text) : page.text;
  const context: SiteContext = kind === 'marketplace' && listing ? 'marketplace' : 'web';
  return { text, opts: { context, title: listing?.title ?? page.title } };
}

/**
 * Sites judged as marketplaces before, told by the marketplace prior in their stored leads' reasons:
 * the site configs of past crawls are not stored, and pages keep no kind.
 */
export async function inferSiteKinds(store: Store): Promise<Set<string>> {
  const rows = await storeDb(store)
    .selectFrom('leads')
    .select('site_id')
    .distinct()
    .where('reasons', 'like', '%"group":"context","term":"marketplace"%')
    .execute();
  return new Set(rows.map((r) => r.site_id));
}

/** Kind of each site: configured, else inferred, else `web`. */
export async function siteKindResolver(
  store: Store,
  configured: ReadonlyMap<string, SiteKind> = new Map(),
): Promise<(siteId: string) => { kind: SiteKind; inferred: boolean }> {
  const markets = await inferSiteKinds(store);
  return (siteId) => {
    const kind = configured.get(siteId);
    if (kind) return { kind, inferred: false };
    return { kind: markets.has(siteId) ? 'marketplace' : 'web', inferred: true };
  };
}

type ScanPage = Pick<PageRow, 'id' | 'site_id' | 'url' | 'title' | 'text' | 'listing'>;

/** Pages that were fetched at least once (they keep their text), in id batches. */
export async function* fetchedPages(
  store: Store,
  opts: Pick<RescoreOptions, 'since' | 'siteIds' | 'batchSize'> & { pageIds?: number[] },
): AsyncGenerator<ScanPage[]> {
  const size = opts.batchSize ?? 500;
  let after = 0;
  for (;;) {
    let q = storeDb(store)
      .selectFrom('pages')
      .select(['id', 'site_id', 'url', 'title', 'text', 'listing'])
      .where('content_hash', 'is not', null)
      .where('id', '>', after);
    if (opts.since) q = q.where('last_fetched', '>=', opts.since);
    if (opts.siteIds?.length) q = q.where('site_id', 'in', opts.siteIds);
    if (opts.pageIds) q = q.where('id', 'in', opts.pageIds.length ? opts.pageIds : [-1]);
    const rows = await q.orderBy('id').limit(size).execute();
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.id;
  }
}

/** Counts the pages `fetchedPages` would read (for progress). */
export async function countFetchedPages(
  store: Store,
  opts: Pick<RescoreOptions, 'since' | 'siteIds'>,
): Promise<number> {
  let q = storeDb(store)
    .selectFrom('pages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('content_hash', 'is not', null);
  if (opts.since) q = q.where('last_fetched', '>=', opts.since);
  if (opts.siteIds?.length) q = q.where('site_id', 'in', opts.siteIds);
  const row = await q.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Re-classifies the stored pages with `lex` and returns the difference with the current leads. Writes nothing. */
export async function rescore(
  store: Store,
  lex: CompiledLexicons,
  opts: RescoreOptions = {},
): Promise<RescoreDiff> {
  const kindOf = await siteKindResolver(store, opts.siteKinds);
  const total = await countFetchedPages(store, opts);
  const diff: RescoreDiff = {
    lexiconVersion: lex.version,
    currentVersions: [],
    pages: 0,
    leadsBefore: 0,
    leadsAfter: 0,
    added: [],
    dropped: [],
    changed: [],
    rescored: [],
    flagged: [],
    terms: [],
    sites: [],
  };
  const versions = new Set<string>();
  const sites = new Map<string, { kind: SiteKind; inferred: boolean }>();
  for await (const pages of fetchedPages(store, opts)) {
    const leads = await leadsOfPages(
      store,
      pages.map((p) => p.id),
    );
    for (const page of pages) {
      let site = sites.get(page.site_id);
      if (!site) {
        site = kindOf(page.site_id);
        sites.set(page.site_id, site);
      }
      const { text, opts: classifyOpts } = pageInput(page, site.kind);
      const c = classify(text, lex, classifyOpts);
      const row = leads.get(page.id);
      const wasLead = row !== undefined && row.kind !== null;
      if (wasLead) {
        diff.leadsBefore++;
        versions.add(row.lexicon_version);
      }
      if (c.lead) diff.leadsAfter++;
      diff.pages++;
      const change = compare(page, row, c, () =>
        opts.baseline ? classify(text, opts.baseline, classifyOpts).reasons : [],
      );
      if (change) diff[LIST[change.change]].push(change);
      if (change?.flagged) diff.flagged.push(change);
    }
    opts.onProgress?.(diff.pages, total);
  }
  diff.currentVersions = [...versions].sort();
  diff.sites = [...sites]
    .map(([siteId, s]) => ({ siteId, ...s }))
    .sort((a, b) => a.siteId.localeCompare(b.siteId));
  diff.terms = termImpact(diff);
  return diff;
}

const LIST = { new: 'added', dropped: 'dropped', changed: 'changed', rescored: 'rescored' } as const;

function compare(
  page: ScanPage,
  row: LeadRow | undefined,
  c: Classification,
  baselineReasons: () => Reason[],
): LeadChange | null {
  const wasLead = row !== undefined && row.kind !== null;
  if (!wasLead && !c.lead) return null;
  const before: LeadState | null = row
    ? { lead: wasLead, score: row.score, kind: row.kind, category: row.category }
    : null;
  const after: LeadState = { lead: c.lead, score: c.score, kind: c.kind, category: c.category };
  const beforeTerms = termsOf(row ? (JSON.parse(row.reasons) as Reason[]) : baselineReasons());
  const afterTerms = termsOf(c.reasons);
  const termsAdded = [...afterTerms].filter(([k]) => !beforeTerms.has(k)).map(([, t]) => t);
  const termsRemoved = [...beforeTerms].filter(([k]) => !afterTerms.has(k)).map(([, t]) => t);
  const termsReweighted = [...afterTerms]
    .filter(([k, t]) => beforeTerms.has(k) && Math.abs(beforeTerms.get(k)!.weight - t.weight) > 1e-4)
    .map(([k, t]) => ({ group: t.group, term: t.term, before: beforeTerms.get(k)!.weight, after: t.weight }));
  let change: LeadChange['change'];
  if (!wasLead) change = 'new';
  else if (!c.lead) change = 'dropped';
  else if (row.category !== c.category || row.kind !== c.kind) change = 'changed';
  else if (
    Math.abs(row.score - c.score) > 1e-4 ||
    termsAdded.length ||
    termsRemoved.length ||
    termsReweighted.length
  )
    change = 'rescored';
  else return null;
  return {
    change,
    pageId: page.id,
    leadId: row?.id ?? null,
    siteId: page.site_id,
    url: page.url,
    title: page.title,
    status: row?.status ?? null,
    before,
    after,
    termsAdded,
    termsRemoved,
    termsReweighted,
    flagged: change === 'dropped' && JUDGED_POSITIVE.has(row?.status ?? ''),
  };
}

/** Distinct evidence terms of a classification (`group:term`), priors left out. */
function termsOf(reasons: Reason[]): Map<string, TermRef> {
  const out = new Map<string, TermRef>();
  for (const r of reasons) {
    if (r.group === 'context') continue;
    const key = `${r.group}:${r.term}`;
    const t = out.get(key);
    if (!t) out.set(key, { group: r.group, term: r.term, forms: r.form ? [r.form] : [], weight: r.weight });
    else {
      if (r.form && !t.forms.includes(r.form)) t.forms.push(r.form);
      t.weight = Math.max(t.weight, r.weight);
    }
  }
  return out;
}

function termImpact(diff: RescoreDiff): TermImpact[] {
  const out = new Map<string, TermImpact>();
  const bump = (group: string, term: string, field: 'added' | 'dropped' | 'changed') => {
    const key = `${group}:${term}`;
    const t = out.get(key) ?? { group, term, added: 0, dropped: 0, changed: 0 };
    t[field]++;
    out.set(key, t);
  };
  for (const c of diff.added) for (const t of c.termsAdded) bump(t.group, t.term, 'added');
  for (const c of diff.dropped) {
    for (const t of c.termsRemoved) bump(t.group, t.term, 'dropped');
    for (const t of c.termsReweighted) bump(t.group, t.term, 'dropped');
  }
  for (const c of [...diff.changed, ...diff.rescored]) {
    const seen = new Set<string>();
    for (const t of [...c.termsAdded, ...c.termsRemoved, ...c.termsReweighted]) {
      const key = `${t.group}:${t.term}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bump(t.group, t.term, 'changed');
    }
  }
  return [...out.values()].sort(
    (a, b) =>
      b.added + b.dropped + b.changed - (a.added + a.dropped + a.changed) || a.term.localeCompare(b.term),
  );
}

async function leadsOfPages(store: Store, pageIds: number[]): Promise<Map<number, LeadRow>> {
  if (pageIds.length === 0) return new Map();
  const rows = await storeDb(store).selectFrom('leads').selectAll().where('page_id', 'in', pageIds).execute();
  return new Map(rows.map((r) => [r.page_id, r]));
}

/**
 * Writes the changes of `diff` (new, dropped, changed and rescored leads) with `lex`: each page is
 * classified again and saved through `Store.saveClassification`, which keeps analyst statuses, never
 * deletes a lead (a dropped one stays with its new score and no kind) and records the lexicon version.
 * Returns the number of pages written.
 */
export async function applyRescore(
  store: Store,
  lex: CompiledLexicons,
  diff: RescoreDiff,
  opts: Pick<RescoreOptions, 'siteKinds'> & { at?: string } = {},
): Promise<number> {
  const kindOf = await siteKindResolver(store, opts.siteKinds);
  const ids = [...diff.added, ...diff.dropped, ...diff.changed, ...diff.rescored].map((c) => c.pageId);
  const at = opts.at ?? new Date().toISOString();
  let written = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await storeDb(store)
      .selectFrom('pages')
      .selectAll()
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const page of rows) {
      const { text, opts: classifyOpts } = pageInput(page, kindOf(page.site_id).kind);
      await store.saveClassification(page, classify(text, lex, classifyOpts), page.crawl_id, at);
      written++;
    }
  }
  return written;
}
