import { type Job, UnrecoverableError, Worker } from 'bullmq';
import {
  type FetchDeps,
  normaliseUrl,
  type PageFetcher,
  processFetch,
  recordFetchFailure,
} from '../crawl/index.ts';
import { errorMessage, NonRetryableError } from '../errors.ts';
import { type ClassifyDeps, processClassify } from '../leads/index.ts';
import { log } from '../log.ts';
import {
  backoffDelay,
  classifyJobSchema,
  type FetchJob,
  fetchJobSchema,
  parseJob,
  QUEUE_CLASSIFY,
  QUEUE_FETCH,
  withRetryPolicy,
} from '../queue/index.ts';
import type { Runtime } from './runtime.ts';

export interface WorkerOptions {
  /** Fetch jobs in flight; 0 runs no fetch worker. */
  fetch: number;
  /** Classify jobs in flight; 0 runs no classify worker. */
  classify: number;
  /** Replaces the site-driven fetcher (benchmarks use it to isolate stages). */
  fetcher?: PageFetcher;
}

export interface WorkerSet {
  workers: Worker[];
  /** Stops taking jobs, lets jobs in hand finish (up to the grace period), then closes. */
  close(): Promise<void>;
}

function payload<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    // A payload that fails its schema can never succeed: fail it now, with the reason.
    if (err instanceof NonRetryableError) throw new UnrecoverableError(err.message);
    throw err;
  }
}

/** Starts BullMQ workers on the fetch and classify queues, wired to the processors in `src/`. */
export function startWorkers(rt: Runtime, opts: WorkerOptions): WorkerSet {
  const { runtime } = rt.config;
  const common = {
    prefix: runtime.redis.prefix,
    lockDuration: runtime.workers.lockMs,
    stalledInterval: runtime.workers.stalledCheckMs ?? runtime.workers.lockMs,
    // Workers may die many times during a long crawl; a job is only failed for that after many stalls.
    maxStalledCount: 10,
    settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade) },
  };
  const fetchLog = log.child({ component: 'fetch' });
  const fetchDeps: FetchDeps = {
    store: rt.store,
    state: rt.state,
    fetcher: opts.fetcher ?? rt.fetcher,
    gate: rt.gate,
    robots: rt.robots,
    enqueueFetch: (jobs) => rt.queues.addFetch(jobs),
    enqueueClassify: (job) => rt.queues.addClassify(job),
    log: fetchLog,
  };
  const workers: Worker[] = [];

  if (opts.fetch > 0) {
    const w = new Worker(
      QUEUE_FETCH,
      async (job: Job, token?: string) => {
        const data = payload(() => parseJob(fetchJobSchema, job.data, job.id));
        return withRetryPolicy(
          job,
          token,
          () => processFetch(data, fetchDeps),
          async (reason, message) => {
            fetchLog.info({ jobId: job.id, url: data.url, reason, message }, 'fetch failed');
            return recordFetchFailure(data, fetchDeps, reason, message);
          },
        );
      },
      { ...common, connection: rt.redis.connect(), concurrency: opts.fetch },
    );
    workers.push(w);
  }

  if (opts.classify > 0) {
    const classifyLog = log.child({ component: 'classify' });
    const deps: ClassifyDeps = {
      store: rt.store,
      lexicons: rt.lexicons,
      site: (c, s) => rt.state.site(c, s),
      sites: (c) => rt.state.sites(c),
      pivot: async (crawlId, requests) => {
        const jobs: FetchJob[] = [];
        for (const r of requests) {
          const site = await rt.state.site(crawlId, r.siteId);
          const url = site && normaliseUrl(r.url, undefined, { stripParams: site.stripParams });
          if (!site || !url) continue;
          if ((await rt.state.admit(crawlId, site.id, url, site.maxPages)) !== 'ok') continue;
          jobs.push({ crawlId, siteId: site.id, url, depth: 0, foundVia: r.foundVia, referrer: null });
        }
        if (jobs.length) await rt.queues.addFetch(jobs);
        await rt.state.count(crawlId, { pivots: jobs.length, queued: jobs.length });
      },
    };
    const w = new Worker(
      QUEUE_CLASSIFY,
      async (job: Job, token?: string) => {
        const data = payload(() => parseJob(classifyJobSchema, job.data, job.id));
        return withRetryPolicy(
          job,
          token,
          async () => {
            const out = await processClassify(data, deps);
            await rt.state.count(data.crawlId, { classified: 1, leads: out.lead ? 1 : 0 });
            classifyLog.debug(
              { jobId: job.id, url: data.url, score: out.score, lead: out.lead },
              'classified',
            );
            return out;
          },
          async (reason, message) => {
            classifyLog.warn({ jobId: job.id, url: data.url, reason, message }, 'classify failed');
            await rt.state.count(data.crawlId, { 'failed:classify': 1 });
            return { lead: false, leadId: null, created: false, score: 0, pivots: 0 };
          },
        );
      },
      { ...common, connection: rt.redis.connect(), concurrency: opts.classify },
    );
    workers.push(w);
  }

  for (const w of workers) {
    w.on('error', (err) =>
      log.child({ component: 'worker' }).warn({ queue: w.name, err: errorMessage(err) }, 'worker error'),
    );
  }

  return {
    workers,
    async close() {
      const grace = runtime.workers.shutdownGraceMs;
      await Promise.all(
        workers.map(async (w) => {
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<'timeout'>((r) => {
            timer = setTimeout(() => r('timeout'), grace);
          });
          const result = await Promise.race([w.close().then(() => 'closed' as const), timedOut]);
          clearTimeout(timer);
          // Jobs still in hand go back to the queue when their lock lapses; nothing is lost.
          if (result === 'timeout') await w.close(true);
        }),
      );
    },
  };
}
