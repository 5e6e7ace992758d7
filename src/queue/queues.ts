import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type ClassifyJob,
  classifyJobId,
  type EvidenceJob,
  evidenceJobId,
  type FetchJob,
  fetchJobId,
  QUEUE_CLASSIFY,
  QUEUE_EVIDENCE,
  QUEUE_FETCH,
} from './jobs.ts';
import { JOB_ATTEMPTS } from './retry.ts';

const jobDefaults = {
  attempts: JOB_ATTEMPTS,
  backoff: { type: 'spiderweb' },
  // Completed jobs are not needed for dedup (the crawl's seen-set does that); keep a few for the dashboard.
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 10_000 },
};

/** The pipeline queues (fetch → classify → evidence) with typed, deterministic-id enqueue helpers. */
export class Queues {
  readonly fetch: Queue;
  readonly classify: Queue;
  readonly evidence: Queue;

  constructor(connection: Redis, prefix: string) {
    const opts = { connection, prefix, defaultJobOptions: jobDefaults };
    this.fetch = new Queue(QUEUE_FETCH, opts);
    this.classify = new Queue(QUEUE_CLASSIFY, opts);
    this.evidence = new Queue(QUEUE_EVIDENCE, opts);
  }

  all(): Queue[] {
    return [this.fetch, this.classify, this.evidence];
  }

  async addFetch(jobs: FetchJob[]): Promise<void> {
    await this.fetch.addBulk(
      jobs.map((data) => ({ name: 'fetch', data, opts: { jobId: fetchJobId(data) } })),
    );
  }

  async addClassify(job: ClassifyJob): Promise<void> {
    await this.classify.add('classify', job, { jobId: classifyJobId(job) });
  }

  async addEvidence(job: EvidenceJob): Promise<void> {
    await this.evidence.add('evidence', job, { jobId: evidenceJobId(job) });
  }

  /** Jobs not yet finished in each queue (waiting, active, delayed...). All zero: the crawl has drained. */
  async pending(): Promise<{ fetch: number; classify: number; evidence: number }> {
    const kinds = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused'] as const;
    const [f, c, e] = await Promise.all(this.all().map((q) => q.getJobCounts(...kinds)));
    const sum = (o: Record<string, number> | undefined) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
    return { fetch: sum(f), classify: sum(c), evidence: sum(e) };
  }

  /**
   * Removes every job of a crawl that no worker holds (waiting, delayed, finished...) from the three
   * queues, and says how many each queue lost. Jobs in a worker's hands stay until they end; a worker
   * drops those of a cancelled or lost crawl (see `CrawlState.assertRunning`), so call it again after.
   */
  async removeCrawl(crawlId: string): Promise<{ fetch: number; classify: number; evidence: number }> {
    const states = [
      'waiting',
      'delayed',
      'prioritized',
      'paused',
      'waiting-children',
      'completed',
      'failed',
    ] as const;
    const byId = async (q: Queue, prefix: string) => {
      const ids = (await q.getRanges([...states], 0, -1)).filter((id) => id.startsWith(prefix));
      return removeAll(q, ids);
    };
    const evidenceIds = (await this.evidence.getJobs([...states], 0, -1))
      .filter((j) => (j?.data as { crawlId?: string } | undefined)?.crawlId === crawlId)
      .map((j) => j.id ?? '');
    return {
      fetch: await byId(this.fetch, `f_${crawlId}_`),
      classify: await byId(this.classify, `c_${crawlId}_`),
      evidence: await removeAll(this.evidence, evidenceIds),
    };
  }

  /** Jobs of a crawl that workers hold right now (fetch and classify). */
  async heldJobs(crawlId: string): Promise<number> {
    const [f, c] = await Promise.all([this.fetch.getRanges(['active']), this.classify.getRanges(['active'])]);
    return (
      f.filter((id) => id.startsWith(`f_${crawlId}_`)).length +
      c.filter((id) => id.startsWith(`c_${crawlId}_`)).length
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}

/** Removes jobs by id, some at a time; returns how many were removed (a locked job is not). */
async function removeAll(q: Queue, ids: string[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const done = await Promise.all(ids.slice(i, i + 500).map((id) => q.remove(id)));
    removed += done.filter((n) => n === 1).length;
  }
  return removed;
}

export type { Worker };
