import type { Runtime } from './runtime.ts';

/** Jobs of a crawl taken out of Redis when it was cancelled or lost, by queue. */
export interface RemovedJobs {
  fetch: number;
  classify: number;
  evidence: number;
}

/**
 * Removes a cancelled or lost crawl's jobs from the queues, again and again until no worker holds one
 * (workers drop them on sight) or `waitMs` has passed. Returns how many were removed.
 */
export async function sweepCrawl(rt: Runtime, crawlId: string, waitMs: number): Promise<RemovedJobs> {
  const total: RemovedJobs = { fetch: 0, classify: 0, evidence: 0 };
  const until = Date.now() + waitMs;
  for (;;) {
    // Done when a pass finds no job held before it and none left to remove: a job held before the pass
    // may end during it (into the completed set), so it takes another pass.
    const held = await rt.queues.heldJobs(crawlId);
    const removed = await rt.queues.removeCrawl(crawlId);
    total.fetch += removed.fetch;
    total.classify += removed.classify;
    total.evidence += removed.evidence;
    const none = removed.fetch + removed.classify + removed.evidence === 0;
    if ((held === 0 && none) || Date.now() > until) return total;
    await new Promise((r) => setTimeout(r, held ? 200 : 0));
  }
}

/**
 * `crawl --cancel ID`: marks the crawl cancelled in Redis (every worker drops its jobs from then on),
 * removes its queued jobs, and marks its row in the store. The `crawl` process running it, if any,
 * ends with state `cancelled` and writes its summary.
 */
export async function cancelCrawl(
  rt: Runtime,
  crawlId: string,
): Promise<{ marked: boolean; stored: boolean; removed: RemovedJobs }> {
  const marked = await rt.state.cancel(crawlId);
  const removed = await sweepCrawl(rt, crawlId, rt.config.runtime.workers.shutdownGraceMs);
  const reason = marked
    ? 'cancelled with crawl --cancel'
    : 'cancelled with crawl --cancel (Redis had no state of it)';
  const stored = await rt.store.markCrawl(crawlId, 'cancelled', reason, new Date().toISOString());
  return { marked, stored, removed };
}
