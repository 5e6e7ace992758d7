import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type FetchDeps,
  normaliseUrl,
  type PageFetcher,
  processFetch,
  recordFetchFailure,
} from '../crawl/index.ts';
import { CrawlEndedError, errorMessage, type FailReason, NonRetryableError } from '../errors.ts';
import { archiveFetchedPage, captureLeadEvidence, type EvidenceDeps } from '../evidence/index.ts';
import { type ClassifyDeps, type FreshPage, processClassify } from '../leads/index.ts';
import { log } from '../log.ts';
import {
  backoffDelay,
  type ClassifyJob,
  classifyJobSchema,
  evidenceJobSchema,
  type FetchJob,
  fetchJobSchema,
  isInfrastructureError,
  parseJob,
  QUEUE_CLASSIFY,
  QUEUE_EVIDENCE,
  QUEUE_FETCH,
  withRetryPolicy,
} from '../queue/index.ts';
import type { Metrics } from './metrics.ts';
import type { Runtime } from './runtime.ts';

export interface WorkerOptions {
  /** Fetch jobs in flight; 0 runs no fetch worker. */
  fetch: number;
  /** Classify jobs in flight; 0 runs no classify worker. */
  classify: number;
  /** Evidence jobs in flight (screenshots in Chromium); default 2 when classify runs, else 0. */
  evidence?: number;
  /** Replaces the site-driven fetcher (benchmarks use it to isolate stages). */
  fetcher?: PageFetcher;
  /** Where to count pages, leads, errors and timings. */
  metrics?: Metrics;
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

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a job of a cancelled or lost crawl comes to: nothing done, counted as `dropped` if cancelled. */
interface Dropped {
  kind: 'dropped';
  state: CrawlEndedError['state'];
}

/** Runs a job unless its crawl has ended (see `CrawlState.assertRunning`): then the job is dropped. */
async function unlessEnded<T>(rt: Runtime, crawlId: string, run: () => Promise<T>): Promise<T | Dropped> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof CrawlEndedError)) throw err;
    if (err.state === 'cancelled') rt.state.count(crawlId, { dropped: 1 });
    return { kind: 'dropped', state: err.state };
  }
}

/** A classify or evidence job: run if its crawl still runs, under the retry policy; else dropped. */
function crawlJob<T>(
  rt: Runtime,
  job: Job,
  token: string | undefined,
  crawlId: string,
  run: () => Promise<T>,
  onGiveUp: (reason: FailReason, message: string) => Promise<T>,
): Promise<T | Dropped> {
  return unlessEnded(rt, crawlId, () =>
    withRetryPolicy(
      job,
      token,
      async () => {
        await rt.state.assertRunning(crawlId);
        return run();
      },
      onGiveUp,
    ),
  );
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
  const m = opts.metrics;
  let classifyInline: ((job: ClassifyJob, fresh?: FreshPage) => Promise<void>) | null = null;
  // Chromium starts only when a lead needs a screenshot.
  const screenshots = {
    screenshotHtml: (html: string, base: string) => rt.fetcher.browser().screenshotHtml(html, base),
  };
  const evidenceDeps = (screenshot: boolean): EvidenceDeps => ({
    store: rt.store,
    evidence: rt.evidence,
    screenshots: screenshot ? screenshots : null,
  });
  const fetchDeps: FetchDeps = {
    store: rt.store,
    state: rt.state,
    fetcher: opts.fetcher ?? rt.fetcher,
    gate: rt.gate,
    robots: rt.robots,
    archiveEvidence: (input) => archiveFetchedPage(evidenceDeps(false), input),
    enqueueFetch: (jobs) => rt.queues.addFetch(jobs),
    // A process that also classifies does it inside the fetch job (see `classifyInline`).
    enqueueClassify: (job, fresh) =>
      classifyInline ? classifyInline(job, fresh) : rt.queues.addClassify(job),
    log: fetchLog,
  };
  const workers: Worker[] = [];
  // Each worker's own (blocking) connection, to drop when Redis is gone and closing would wait for it.
  const connections: Redis[] = [];
  const connect = () => {
    const c = rt.redis.connect();
    connections.push(c);
    return c;
  };

  if (opts.fetch > 0) {
    const w = new Worker(
      QUEUE_FETCH,
      async (job: Job, token?: string) => {
        const data = payload(() => parseJob(fetchJobSchema, job.data, job.id));
        const timer = m?.fetchSeconds.startTimer({ site: data.siteId });
        try {
          const out = await unlessEnded(rt, data.crawlId, () =>
            withRetryPolicy(
              job,
              token,
              () => processFetch(data, fetchDeps),
              async (reason, message) => {
                fetchLog.info({ jobId: job.id, url: data.url, reason, message }, 'fetch failed');
                m?.errors.inc({ stage: 'fetch', reason });
                return recordFetchFailure(data, fetchDeps, reason, message);
              },
            ),
          );
          m?.pages.inc({ site: data.siteId, outcome: out.kind });
          timer?.();
          return out;
        } catch (err) {
          m?.errors.inc({ stage: 'fetch', reason: err instanceof DelayedError ? 'put-off' : 'retry' });
          throw err;
        }
      },
      { ...common, connection: connect(), concurrency: opts.fetch },
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
      // Sealing without a screenshot is hashing and a few rows: done here, not as another job.
      sealEvidence: async (job, fresh) => {
        if (job.screenshot) return rt.queues.addEvidence(job);
        try {
          await captureLeadEvidence(evidenceDeps(false), { ...job, fresh });
        } catch (err) {
          classifyLog.debug(
            { leadId: job.leadId, err: errorMessage(err) },
            'evidence queued after inline failure',
          );
          await rt.queues.addEvidence(job);
        }
      },
      pivot: async (crawlId, requests, owner) => {
        const jobs: FetchJob[] = [];
        for (const r of requests) {
          const site = await rt.state.site(crawlId, r.siteId);
          const url = site && normaliseUrl(r.url, undefined, { stripParams: site.stripParams });
          if (!site || !url) continue;
          if ((await rt.state.admit(crawlId, site.id, url, site.maxPages, owner)) !== 'ok') continue;
          jobs.push({ crawlId, siteId: site.id, url, depth: 0, foundVia: r.foundVia, referrer: null });
        }
        if (jobs.length) await rt.queues.addFetch(jobs);
        rt.state.count(crawlId, { pivots: jobs.length, queued: jobs.length });
      },
    };
    const classifyPage = async (data: ClassifyJob, fresh?: FreshPage) => {
      const timer = m?.classifySeconds.startTimer();
      const out = await processClassify(data, deps, fresh);
      timer?.();
      if (out.created) m?.leads.inc({ category: out.category ?? 'none', kind: out.kind ?? 'none' });
      rt.state.count(data.crawlId, { classified: 1, leads: out.lead ? 1 : 0 });
      classifyLog.debug(
        { pageId: data.pageId, url: data.url, score: out.score, lead: out.lead },
        'classified',
      );
      return out;
    };
    if (opts.fetch > 0) {
      // The page was fetched in this process a moment ago: classifying it here saves a job's round
      // trips through Redis (about a quarter of a page's CPU went to BullMQ). A failure hands the page
      // to the classify queue and its retry policy, as if it had been queued in the first place; a
      // worker that dies first leaves the fetch job unfinished, and its retry classifies the stored page.
      classifyInline = async (job, fresh) => {
        try {
          await classifyPage(job, fresh);
        } catch (err) {
          if (err instanceof CrawlEndedError) throw err;
          classifyLog.debug(
            { pageId: job.pageId, err: errorMessage(err) },
            'classify queued after inline failure',
          );
          await rt.queues.addClassify(job);
        }
      };
    }
    const w = new Worker(
      QUEUE_CLASSIFY,
      async (job: Job, token?: string) => {
        const data = payload(() => parseJob(classifyJobSchema, job.data, job.id));
        return crawlJob(
          rt,
          job,
          token,
          data.crawlId,
          () => classifyPage(data),
          async (reason, message) => {
            classifyLog.warn({ jobId: job.id, url: data.url, reason, message }, 'classify failed');
            m?.errors.inc({ stage: 'classify', reason });
            rt.state.count(data.crawlId, { 'failed:classify': 1 });
            return {
              lead: false,
              leadId: null,
              created: false,
              score: 0,
              pivots: 0,
              category: null,
              kind: null,
            };
          },
        );
      },
      { ...common, connection: connect(), concurrency: opts.classify },
    );
    workers.push(w);
  }

  const evidenceConcurrency = opts.evidence ?? (opts.classify > 0 ? 2 : 0);
  if (evidenceConcurrency > 0) {
    const evidenceLog = log.child({ component: 'evidence' });
    const w = new Worker(
      QUEUE_EVIDENCE,
      async (job: Job, token?: string) => {
        const data = payload(() => parseJob(evidenceJobSchema, job.data, job.id));
        return crawlJob(
          rt,
          job,
          token,
          data.crawlId,
          async () => {
            const out = await captureLeadEvidence(evidenceDeps(data.screenshot), data);
            evidenceLog.debug({ jobId: job.id, leadId: data.leadId }, 'evidence sealed');
            return out;
          },
          async (reason, message) => {
            m?.errors.inc({ stage: 'evidence', reason });
            // The browser kept failing: the lead is sealed without a screenshot, saying why, rather
            // than not at all.
            let why = message;
            if (data.screenshot) {
              try {
                const deps = { ...evidenceDeps(false), noScreenshotReason: `screenshot failed: ${message}` };
                return await captureLeadEvidence(deps, data);
              } catch (err) {
                why = `${message}; sealing without a screenshot failed too: ${errorMessage(err)}`;
              }
            }
            evidenceLog.warn(
              { jobId: job.id, leadId: data.leadId, reason, message: why },
              'evidence not sealed',
            );
            return null;
          },
        );
      },
      { ...common, connection: connect(), concurrency: evidenceConcurrency },
    );
    workers.push(w);
  }

  for (const w of workers) {
    // Redis down: said once ("waiting for Redis since …"), not once per failed command.
    w.on('error', (err) =>
      isInfrastructureError(err)
        ? rt.outage.failed(err)
        : log.child({ component: 'worker' }).warn({ queue: w.name, err: errorMessage(err) }, 'worker error'),
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
          // Jobs still in hand go back to the queue when their lock lapses; nothing is lost. With Redis
          // gone even a forced close waits for it: then the connection is dropped.
          if (result === 'timeout') {
            const forced = await Promise.race([
              w.close(true).then(() => true),
              sleepMs(2000).then(() => false),
            ]);
            if (!forced) for (const c of connections) c.disconnect();
          }
        }),
      );
    },
  };
}
