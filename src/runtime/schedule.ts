import { Queue, Worker } from 'bullmq';
import type { SiteConfig } from '../config/index.ts';
import { errorMessage } from '../errors.ts';
import { log } from '../log.ts';
import { type CrawlSummary, runCrawl } from './crawl.ts';
import type { Runtime } from './runtime.ts';
import { startWorkers, type WorkerOptions } from './workers.ts';

export const QUEUE_RECRAWL = 'recrawl';
const SCHEDULER_PREFIX = 'site-';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `6h`, `1d` → milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export interface ScheduleOptions {
  sites: SiteConfig[];
  /** Sites searched by pivots (see `runCrawl`). */
  pivotSites?: SiteConfig[];
  /** In-process workers, or null when `spiderweb worker` processes do the work. */
  workers: WorkerOptions | null;
  signal: AbortSignal;
  onCrawl?: (summary: CrawlSummary) => void;
}

/**
 * Keeps one BullMQ job scheduler per site that declares `recrawl` (and removes those of sites that no
 * longer do), and runs each due recrawl as a crawl of that site, one at a time, until `signal` aborts.
 * Several `schedule` processes may run: each due recrawl is one job, run once.
 */
export async function runSchedules(rt: Runtime, opts: ScheduleOptions): Promise<void> {
  const prefix = rt.config.runtime.redis.prefix;
  const slog = log.child({ component: 'schedule' });
  const queue = new Queue(QUEUE_RECRAWL, { connection: rt.conn, prefix });
  const scheduled = opts.sites.filter((s) => s.recrawl);
  const byId = new Map(scheduled.map((s) => [s.id, s]));
  for (const site of scheduled) {
    const r = site.recrawl!;
    await queue.upsertJobScheduler(
      `${SCHEDULER_PREFIX}${site.id}`,
      r.every ? { every: durationMs(r.every) } : { pattern: r.cron!, tz: 'UTC' },
      { name: 'recrawl', data: { siteId: site.id }, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }
  for (const s of await queue.getJobSchedulers()) {
    const id = s.key.startsWith(SCHEDULER_PREFIX) ? s.key.slice(SCHEDULER_PREFIX.length) : null;
    if (id && !byId.has(id)) await queue.removeJobScheduler(s.key);
  }
  slog.info(
    { sites: scheduled.map((s) => `${s.id}: ${s.recrawl!.every ?? s.recrawl!.cron}`) },
    'recrawl schedules set',
  );

  const workers = opts.workers ? startWorkers(rt, opts.workers) : null;
  const recrawler = new Worker(
    QUEUE_RECRAWL,
    async (job) => {
      const site = byId.get((job.data as { siteId: string }).siteId);
      if (!site) return null;
      const summary = await runCrawl(rt, { sites: [site], pivotSites: opts.pivotSites ?? [], workers: null });
      slog.info(
        { site: site.id, crawlId: summary.crawlId, pages: summary.pages, leads: summary.leads },
        'recrawl done',
      );
      opts.onCrawl?.(summary);
      return summary;
    },
    { connection: rt.redis.connect(), prefix, concurrency: 1, lockDuration: 120_000 },
  );
  recrawler.on('error', (err) => slog.warn({ err: errorMessage(err) }, 'recrawl worker error'));
  try {
    await new Promise<void>((resolve) => {
      if (opts.signal.aborted) resolve();
      opts.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await recrawler.close();
    await workers?.close();
    await queue.close();
  }
}
