import type { SiteConfig } from '../config/index.ts';
import { normaliseUrl, scopeOf, siteSeeds, withDeadline } from '../crawl/index.ts';
import { errorMessage } from '../errors.ts';
import type { CrawlEndState } from '../leads/index.ts';
import { log } from '../log.ts';
import { type FetchJob, newCrawlId, redisRunId } from '../queue/index.ts';
import { type RemovedJobs, sweepCrawl } from './crawl-end.ts';
import type { Runtime } from './runtime.ts';
import { startWorkers, type WorkerOptions } from './workers.ts';

export interface CrawlProgress {
  crawlId: string;
  fetched: number;
  failed: number;
  queued: number;
  leads: number;
  pagesPerSec: number;
  seconds: number;
  /** "waiting for Redis since …" while Redis does not answer, else null. */
  waiting: string | null;
}

export interface CrawlSummary {
  crawlId: string;
  sites: string[];
  pages: number;
  failed: number;
  leads: number;
  newLeads: number;
  seconds: number;
  pagesPerSec: number;
  /** Links not crawled, by reason (`out-of-scope`, `max-depth`, `max-pages`...). */
  skipped: Record<string, number>;
  /** Failures by reason (`timeout`, `http-status`...). */
  failures: Record<string, number>;
  /** Pages stored cut short at a bound: `body` (the site's `fetch.maxBytes`), `text` (200,000 characters). */
  cut: Record<string, number>;
  /**
   * How the crawl ended: `finished` (every queued page done), `interrupted` (Ctrl-C/SIGTERM: cancelled),
   * `cancelled` (`crawl --cancel` from another shell), `lost` (Redis lost the crawl's state), `outage`
   * (Redis did not answer for `redis.maxOutageMs`). Anything but `finished` exits 1.
   */
  state: CrawlEndState;
  /** One line: why the crawl did not finish, and what to do; null when it did. */
  reason: string | null;
  /** Jobs removed from the queues when the crawl ended early, and jobs workers dropped on sight. */
  cancelled: (RemovedJobs & { dropped: number }) | null;
  /** Requests sent again for a URL whose earlier request's worker died before storing the page. */
  refetched: number;
  /** True unless `state` is `finished`. */
  interrupted: boolean;
}

export interface CrawlOptions {
  sites: SiteConfig[];
  /** Sites not crawled from their seeds but searched when a lead reveals a new identifier (they declare `search`). */
  pivotSites?: SiteConfig[];
  /** In-process workers; null schedules only and waits for external workers (`crawl --workers 0`). */
  workers: WorkerOptions | null;
  onProgress?: (p: CrawlProgress) => void;
  progressMs?: number;
  /** Stops waiting, closes workers gracefully, and returns what was done. */
  signal?: AbortSignal;
}

/**
 * Runs one crawl: records it, enqueues the sites' seeds, runs workers (unless external), waits until
 * both queues drain, and returns a summary counted from the store.
 */
export async function runCrawl(rt: Runtime, opts: CrawlOptions): Promise<CrawlSummary> {
  const crawlId = newCrawlId();
  const started = Date.now();
  const siteIds = opts.sites.map((s) => s.id);
  await rt.store.startCrawl(crawlId, siteIds, new Date(started).toISOString());
  const pivotOnly = (opts.pivotSites ?? []).filter((p) => p.search && !siteIds.includes(p.id));
  const runId = await rt.state.start(crawlId, [...opts.sites, ...pivotOnly]);
  const seeds: FetchJob[] = [];
  const crawlLog = log.child({ component: 'crawl', crawlId });
  for (const site of opts.sites) {
    // Seeds and sitemap entries that normalise to one URL are one job (admission owned by 'seed' says ok to each).
    const admitted = new Set<string>();
    for (const seed of await siteSeeds(site, rt.fetcher, rt.robots, crawlLog)) {
      const url = normaliseUrl(seed, undefined, { stripParams: site.stripParams });
      // Configured seeds are in scope by definition; sitemap entries must pass the scope like links.
      if (!url || admitted.has(url) || (!site.seeds.includes(seed) && scopeOf(site).check(url))) continue;
      if ((await rt.state.admit(crawlId, site.id, url, site.maxPages, 'seed')) !== 'ok') continue;
      admitted.add(url);
      seeds.push({ crawlId, siteId: site.id, url, depth: 0, foundVia: 'seed', referrer: null });
    }
  }
  await rt.queues.addFetch(seeds);
  rt.state.count(crawlId, { queued: seeds.length });
  crawlLog.debug({ sites: siteIds, seeds: seeds.length }, 'crawl started');

  const workers = opts.workers ? startWorkers(rt, opts.workers) : null;
  let ended: { state: CrawlEndState; reason: string | null };
  try {
    ended = await waitForCrawl(rt, crawlId, runId, started, opts);
  } finally {
    await workers?.close();
  }
  let cancelled: CrawlSummary['cancelled'] = null;
  if (ended.state !== 'finished' && ended.state !== 'outage') {
    try {
      if (ended.state === 'interrupted') await rt.state.cancel(crawlId);
      const removed = await sweepCrawl(rt, crawlId, rt.config.runtime.workers.shutdownGraceMs);
      cancelled = { ...removed, dropped: 0 };
    } catch (err) {
      crawlLog.warn({ err: errorMessage(err) }, "cannot remove the crawl's jobs from Redis");
    }
  }

  const seconds = (Date.now() - started) / 1000;
  const counts = await rt.store.crawlCounts(crawlId);
  const stats =
    ended.state === 'outage' ? {} : await rt.state.stats(crawlId).catch(() => ({}) as Record<string, number>);
  if (cancelled) cancelled.dropped = stats.dropped ?? 0;
  const pick = (prefix: string) =>
    Object.fromEntries(
      Object.entries(stats)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  const summary: CrawlSummary = {
    crawlId,
    sites: siteIds,
    ...counts,
    seconds: Math.round(seconds * 100) / 100,
    pagesPerSec: Math.round((counts.pages / Math.max(seconds, 0.001)) * 10) / 10,
    skipped: pick('skipped:'),
    failures: pick('failed:'),
    cut: pick('cut:'),
    state: ended.state,
    reason: ended.reason,
    cancelled,
    refetched: stats.refetched ?? 0,
    interrupted: ended.state !== 'finished',
  };
  const at = new Date().toISOString();
  await rt.store.finishCrawl(crawlId, at, summary);
  await rt.store.markCrawl(crawlId, ended.state, ended.reason, at);
  if (ended.reason) crawlLog.warn({ state: ended.state }, ended.reason);
  return summary;
}

/**
 * Waits until the crawl's queues drain (`finished`), or it is interrupted (the signal), cancelled from
 * another shell, lost (its sentinel key is gone from Redis), or Redis stays unreachable too long.
 */
async function waitForCrawl(
  rt: Runtime,
  crawlId: string,
  runId: string,
  started: number,
  opts: CrawlOptions,
): Promise<{ state: CrawlEndState; reason: string | null }> {
  const interval = opts.progressMs ?? 250;
  const maxOutageMs = rt.config.runtime.redis.maxOutageMs;
  // A command in flight when Redis dies waits for a reconnect that may never come (the connection
  // retries forever for the workers' sake): a tick that gets no answer by then counts as no answer.
  const answerMs = Math.min(10_000, maxOutageMs);
  const ask = <T>(work: Promise<T>) =>
    withDeadline(work, Date.now() + answerMs, () => new Error(`Redis did not answer in ${answerMs} ms`));
  let idleChecks = 0;
  let ticks = 0;
  while (idleChecks < 2) {
    await sleep(interval, opts.signal);
    if (opts.signal?.aborted) {
      const why = typeof opts.signal.reason === 'string' ? opts.signal.reason : 'interrupted';
      return {
        state: 'interrupted',
        reason: `${why}: the crawl was cancelled, pages stored so far are kept`,
      };
    }
    let pending: Awaited<ReturnType<typeof rt.queues.pending>>;
    try {
      // Commands wait for a reconnect (workers want that): don't ask a Redis that is not there.
      if (rt.conn.status !== 'ready') throw new Error(`Redis connection ${rt.conn.status}`);
      const live = await ask(rt.state.liveState(crawlId));
      if (live === 'cancelled') return { state: 'cancelled', reason: 'cancelled with crawl --cancel' };
      if (live === 'lost') return { state: 'lost', reason: await ask(lostReason(rt, runId)) };
      if (++ticks % 240 === 0) await ask(rt.state.touch(crawlId));
      pending = await ask(rt.queues.pending());
      rt.outage.answered();
    } catch (err) {
      // Redis restarting or down: the crawl is not over; ask again on the next tick, for a while.
      rt.outage.failed(err);
      const since = rt.outage.since ?? Date.now();
      if (Date.now() - since > maxOutageMs)
        return {
          state: 'outage',
          reason:
            `Redis did not answer for ${Math.round((Date.now() - since) / 1000)}s (since ${new Date(since).toISOString()}): ` +
            'start Redis (or check REDIS_URL) and run the crawl again; pages stored so far are kept',
        };
      idleChecks = 0;
      opts.onProgress?.(progress(crawlId, started, {}, 0, rt.outage.message()));
      continue;
    }
    idleChecks = pending.fetch + pending.classify + pending.evidence === 0 ? idleChecks + 1 : 0;
    if (opts.onProgress) {
      const s = await ask(rt.state.stats(crawlId)).catch(() => ({}) as Record<string, number>);
      opts.onProgress(progress(crawlId, started, s, pending.fetch, null));
    }
  }
  return { state: 'finished', reason: null };
}

/** Why a crawl's sentinel is gone: Redis restarted without persistence, or its keys were removed. */
async function lostReason(rt: Runtime, runId: string): Promise<string> {
  const now = await redisRunId(rt.conn).catch(() => runId);
  return now !== runId
    ? "Redis restarted without persistence and lost the crawl's queue: turn on AOF (README: Running in production) and run the crawl again"
    : "the crawl's keys are gone from Redis (flushed, evicted or expired): set maxmemory-policy noeviction and run the crawl again";
}

function progress(
  crawlId: string,
  started: number,
  s: Record<string, number>,
  queued: number,
  waiting: string | null,
): CrawlProgress {
  const seconds = (Date.now() - started) / 1000;
  return {
    crawlId,
    fetched: s.fetched ?? 0,
    failed: (s.failed ?? 0) + (s.gone ?? 0),
    queued,
    leads: s.leads ?? 0,
    seconds,
    pagesPerSec: (s.fetched ?? 0) / Math.max(seconds, 0.001),
    waiting,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
