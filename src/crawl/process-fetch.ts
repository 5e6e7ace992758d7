import { createHash } from 'node:crypto';
import type { SiteConfig } from '../config/index.ts';
import { NonRetryableError, RetryLaterError } from '../errors.ts';
import { type Document, parseHtml, parseText } from '../extract/index.ts';
import type { EvidenceRow, FreshPage, Store } from '../leads/index.ts';
import type { Logger } from '../log.ts';
import { type ClassifyJob, type CrawlState, type FetchJob, urlKey } from '../queue/index.ts';
import { DEFAULT_USER_AGENT } from './http/index.ts';
import { outcomeOf, type PolitenessGate, type PolitenessPolicy } from './politeness/index.ts';
import type { RobotsCache, RobotsVerdict } from './robots.ts';
import { type SkipReason, scopeOf } from './scope.ts';
import type { FetchedPage } from './types.ts';
import { normaliseUrl, repeatedSegmentCount, urlPatternKey } from './url.ts';

/** The fetching side `processFetch` needs: `SiteFetcher` in production. */
export interface PageFetcher {
  /** Fetches one URL the way the site is configured (HTTP, browser, auto). `checkUrl` vets each redirect hop. */
  fetch(url: string, site: SiteConfig, checkUrl: (url: string) => void): Promise<FetchedPage>;
  /** Plain HTTP with the site's limits and proxy (robots.txt, sitemaps). */
  http(url: string, site: SiteConfig, checkUrl: (url: string) => void): Promise<FetchedPage>;
}

export interface FetchDeps {
  store: Store;
  state: CrawlState;
  fetcher: PageFetcher;
  /** Per-host politeness shared through Redis. */
  gate: PolitenessGate;
  robots: RobotsCache;
  /** Archives the raw exchange (WARC) of every fetched page, content-addressed (src/evidence). */
  archiveEvidence?(input: {
    pageId: number;
    page: FetchedPage;
    requestHeaders: Record<string, string> | null;
    proxy: string | null;
    text: string;
    /** The page is new to the store: it has no capture yet. */
    newPage: boolean;
  }): Promise<{ row: EvidenceRow | null }>;
  enqueueFetch(jobs: FetchJob[]): Promise<void>;
  /** `fresh`: the page as this job stored it, new to the store (a worker classifying it here need not read it back). */
  enqueueClassify(job: ClassifyJob, fresh?: FreshPage): Promise<void>;
  log: Logger;
}

export type FetchOutcome =
  | { kind: 'fetched'; pageId: number; links: number; changed: boolean; resumed?: boolean }
  | { kind: 'gone' | 'failed'; reason: string };

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml', '']);

/** Loads the site a job belongs to; a job for an unknown site can never succeed. */
export async function siteFor(
  state: CrawlState,
  job: Pick<FetchJob, 'crawlId' | 'siteId'>,
): Promise<SiteConfig> {
  const site = await state.site(job.crawlId, job.siteId);
  if (!site) throw new NonRetryableError('out-of-scope', `crawl ${job.crawlId} has no site "${job.siteId}"`);
  return site;
}

/**
 * One URL: fetch (with the scope re-checked on every redirect hop), parse into a `Document`, enqueue
 * the in-scope links it reveals, record the page and enqueue a classify job. Errors follow
 * `src/errors.ts`; the caller maps them onto retries and records final failures with `recordFetchFailure`.
 *
 * At most once per crawl where it can be had: the intent to fetch is recorded in Redis right before the
 * request and cleared once the page is stored. A retry that finds an intent (its worker died) and the
 * page stored skips the request (links were enqueued before the page was stored); without the page it
 * fetches again, and `intendFetch` counts `refetched`. A job of a cancelled or lost crawl throws `CrawlEndedError`
 * before any request.
 */
export async function processFetch(job: FetchJob, deps: FetchDeps): Promise<FetchOutcome> {
  const key = urlKey(job.siteId, job.url);
  const { prior } = await deps.state.beginFetch(job.crawlId, key);
  if (prior) {
    const pageId = await deps.store.storedPageId(job.crawlId, job.siteId, job.url);
    if (pageId !== null) {
      await deps.enqueueClassify({ crawlId: job.crawlId, siteId: job.siteId, pageId, url: job.url });
      await deps.state.endFetch(job.crawlId, key);
      deps.state.count(job.crawlId, { resumed: 1 });
      return { kind: 'fetched', pageId, links: 0, changed: false, resumed: true };
    }
  }
  const site = await siteFor(deps.state, job);
  const scope = scopeOf(site);
  const checkUrl = (hop: string) => {
    const why = scope.check(hop);
    if (why) throw new NonRetryableError('out-of-scope', `redirect to ${hop} refused: ${why}`);
  };
  const verdict = await deps.robots.enforce(job.url, {
    mode: site.robots,
    userAgent: site.fetch.userAgent ?? DEFAULT_USER_AGENT,
    fetch: (u) =>
      polite(deps.gate, u, site.politeness, async () => {
        const r = await deps.fetcher.http(u, site, () => {});
        return { status: r.status, text: r.text };
      }),
  });
  const policy = verdict.crawlDelayMs
    ? { ...site.politeness, crawlDelayMs: verdict.crawlDelayMs }
    : site.politeness;
  const page = await polite(deps.gate, job.url, policy, async () => {
    // Counts the refetch when an earlier intent is there. A failed request keeps its intent too: the site
    // saw it, so its retry is a refetch as the site counts them.
    await deps.state.intendFetch(job.crawlId, key, prior);
    return deps.fetcher.fetch(job.url, site, checkUrl);
  });
  const at = page.fetchedAt;

  if (page.status === 404 || page.status === 410 || page.status >= 400) {
    const state = page.status === 404 || page.status === 410 ? 'gone' : 'failed';
    await deps.store.recordFailure({
      crawlId: job.crawlId,
      siteId: job.siteId,
      url: job.url,
      status: page.status,
      state,
      reason: 'http-status',
      message: `HTTP ${page.status}`,
      foundVia: job.foundVia,
      depth: job.depth,
      at,
    });
    await deps.state.endFetch(job.crawlId, key);
    deps.state.count(job.crawlId, { [state]: 1 });
    return { kind: state, reason: `HTTP ${page.status}` };
  }

  const doc: Document = HTML_TYPES.has(page.contentType)
    ? parseHtml({
        html: page.text,
        url: job.url,
        finalUrl: page.finalUrl,
        siteId: site.id,
        contentLanguage: page.headers['content-language'],
        listing: site.listing,
        maxLinks: site.maxLinks,
      })
    : parseText({
        text: page.text,
        url: job.url,
        finalUrl: page.finalUrl,
        siteId: site.id,
        contentLanguage: page.headers['content-language'],
      });

  // Links first: a retry that finds the page stored skips the fetch, and with it the page's links.
  const { jobs, skipped } = await admitLinks(job, site, doc.links, deps.state);
  if (jobs.length) await deps.enqueueFetch(jobs);
  const { pageId, changed, stored } = await deps.store.recordFetched({
    crawlId: job.crawlId,
    siteId: site.id,
    url: job.url,
    finalUrl: page.finalUrl,
    status: page.status,
    contentHash: createHash('sha256').update(doc.text).digest('hex'),
    title: doc.title,
    text: doc.text,
    listing: doc.listing,
    lang: doc.lang,
    identifiers: doc.identifiers,
    fetchedVia: page.via,
    robots: robotsNote(verdict),
    foundVia: job.foundVia,
    depth: job.depth,
    at,
  });

  const archived = await deps.archiveEvidence?.({
    pageId,
    page,
    requestHeaders: page.requestHeaders ?? null,
    proxy: site.proxy ?? null,
    text: doc.text,
    newPage: stored !== undefined,
  });
  await deps.enqueueClassify(
    { crawlId: job.crawlId, siteId: site.id, pageId, url: job.url },
    stored && { page: stored, capture: archived?.row ?? null },
  );
  await deps.state.endFetch(job.crawlId, key);
  deps.state.count(job.crawlId, {
    fetched: 1,
    queued: jobs.length,
    ...prefixKeys(skipped),
    'skipped:max-links': doc.linksOverCap ?? 0,
    // Pages kept cut short at a bound: the body at `fetch.maxBytes`, the text at MAX_TEXT_CHARS.
    'cut:body': page.truncated ? 1 : 0,
    'cut:text': doc.textCut ? 1 : 0,
  });
  deps.log.debug({ url: job.url, status: page.status, links: jobs.length }, 'fetched');
  return { kind: 'fetched', pageId, links: jobs.length, changed };
}

/**
 * Waits for the host's turn (rate, concurrency, breaker — shared by every worker), runs `fetch`, and
 * reports the outcome to the breaker. A host that is not ready puts the job off (RetryLaterError) so
 * the worker is free for other hosts.
 */
export async function polite<T>(
  gate: PolitenessGate,
  url: string,
  policy: PolitenessPolicy,
  fetch: () => Promise<T>,
): Promise<T> {
  const slot = await gate.enter(new URL(url).host, policy);
  if (slot.kind === 'later') {
    throw new RetryLaterError(
      slot.reason === 'rate' || slot.reason === 'concurrency' ? 'politeness' : 'http-status',
      `${new URL(url).host}: ${slot.reason}`,
      slot.delayMs,
    );
  }
  try {
    const result = await fetch();
    await slot.leave('ok');
    return result;
  } catch (err) {
    await slot.leave(outcomeOf(err));
    throw err;
  }
}

/** What is recorded on the page about robots.txt: `obey`, `obey:missing`, `ignore`... */
function robotsNote(v: RobotsVerdict): string {
  return v.mode === 'ignore' || v.robots === 'parsed' ? v.mode : `${v.mode}:${v.robots}`;
}

/** Normalises, scopes, dedups, trap-checks and budgets a page's links; returns the fetch jobs to enqueue. */
export async function admitLinks(
  job: FetchJob,
  site: SiteConfig,
  links: string[],
  state: CrawlState,
): Promise<{ jobs: FetchJob[]; skipped: Partial<Record<SkipReason, number>> }> {
  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (r: SkipReason) => {
    skipped[r] = (skipped[r] ?? 0) + 1;
  };
  const jobs: FetchJob[] = [];
  if (links.length && job.depth >= site.maxDepth) {
    skipped['max-depth'] = links.length;
    return { jobs, skipped };
  }
  const scope = scopeOf(site);
  const owner = urlKey(job.siteId, job.url);
  // Skipped for good: counted now, and remembered for the next page that links it.
  const refuse = (link: string, why: SkipReason) => {
    skip(why);
    state.settle(job.crawlId, site.id, link, { skip: why });
  };
  const candidates = new Map<string, { pattern: string; links: string[] }>();
  for (const link of links) {
    const known = state.settled(job.crawlId, site.id, link);
    if (known && 'skip' in known) {
      skip(known.skip as SkipReason);
      continue;
    }
    if (known && known.owner !== owner) continue; // a duplicate: another job admitted it
    const url = normaliseUrl(link, undefined, { stripParams: site.stripParams });
    if (!url) {
      refuse(link, 'invalid-url');
      continue;
    }
    const why =
      scope.check(url) ??
      (repeatedSegmentCount(url) > site.traps.maxRepeatedSegments ? 'trap-repeated-segment' : null);
    if (why) {
      refuse(link, why);
      continue;
    }
    const c = candidates.get(url);
    if (c) c.links.push(link);
    else candidates.set(url, { pattern: urlPatternKey(url), links: [link] });
  }
  const list = [...candidates].map(([url, c]) => ({ url, pattern: c.pattern }));
  const admissions = await state.admitMany(
    job.crawlId,
    site.id,
    list,
    site.maxPages,
    site.traps.maxPagesPerPattern,
    owner,
  );
  // Results of a pivot search keep saying which identifier led to them.
  const foundVia = job.foundVia.startsWith('pivot:') ? job.foundVia : 'link';
  list.forEach(({ url }, i) => {
    const { admission: a, owner: by } = admissions[i] ?? { admission: 'duplicate', owner: null };
    if (by)
      for (const link of candidates.get(url)?.links ?? [])
        state.settle(job.crawlId, site.id, link, { owner: by });
    if (a === 'ok')
      jobs.push({
        crawlId: job.crawlId,
        siteId: site.id,
        url,
        depth: job.depth + 1,
        foundVia,
        referrer: job.url,
      });
    else if (a === 'max-pages' || a === 'trap-pattern') skip(a);
  });
  return { jobs, skipped };
}

/** Records a URL that ended without a usable page (called once retries are over). */
export async function recordFetchFailure(
  job: FetchJob,
  deps: Pick<FetchDeps, 'store' | 'state'>,
  reason: string,
  message: string,
): Promise<FetchOutcome> {
  await deps.store.recordFailure({
    crawlId: job.crawlId,
    siteId: job.siteId,
    url: job.url,
    status: null,
    state: 'failed',
    reason,
    message,
    foundVia: job.foundVia,
    depth: job.depth,
    at: new Date().toISOString(),
  });
  deps.state.count(job.crawlId, { failed: 1, [`failed:${reason}`]: 1 });
  return { kind: 'failed', reason };
}

function prefixKeys(skipped: Partial<Record<SkipReason, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(skipped).map(([k, v]) => [`skipped:${k}`, v ?? 0]));
}
