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

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}

export type { Worker };
