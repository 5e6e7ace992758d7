import type { SiteConfig } from '../config/index.ts';
import { normaliseUrl, scopeOf, siteSeeds } from '../crawl/index.ts';
import { errorMessage } from '../errors.ts';
import { log } from '../log.ts';
import { type FetchJob, newCrawlId } from '../queue/index.ts';
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
  await rt.state.start(crawlId, [...opts.sites, ...pivotOnly]);
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
  const interval = opts.progressMs ?? 250;
  let idleChecks = 0;
  let interrupted = false;
  try {
    while (idleChecks < 2) {
      await sleep(interval, opts.signal);
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      let pending: Awaited<ReturnType<typeof rt.queues.pending>>;
      try {
        pending = await rt.queues.pending();
      } catch (err) {
        // Redis restarting: the crawl is not over; ask again on the next tick.
        crawlLog.warn({ err: errorMessage(err) }, 'cannot read queue state; retrying');
        idleChecks = 0;
        continue;
      }
      idleChecks = pending.fetch + pending.classify + pending.evidence === 0 ? idleChecks + 1 : 0;
      if (opts.onProgress) {
        const s = await rt.state.stats(crawlId).catch(() => ({}) as Record<string, number>);
        const seconds = (Date.now() - started) / 1000;
        opts.onProgress({
          crawlId,
          fetched: s.fetched ?? 0,
          failed: (s.failed ?? 0) + (s.gone ?? 0),
          queued: pending.fetch,
          leads: s.leads ?? 0,
          seconds,
          pagesPerSec: (s.fetched ?? 0) / Math.max(seconds, 0.001),
        });
      }
    }
  } finally {
    await workers?.close();
  }

  const seconds = (Date.now() - started) / 1000;
  const counts = await rt.store.crawlCounts(crawlId);
  const stats = await rt.state.stats(crawlId);
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
    interrupted,
  };
  await rt.store.finishCrawl(crawlId, new Date().toISOString(), summary);
  return summary;
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
