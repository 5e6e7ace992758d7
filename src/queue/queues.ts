import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type ClassifyJob,
  classifyJobId,
  type FetchJob,
  fetchJobId,
  QUEUE_CLASSIFY,
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

/** The two pipeline queues with typed, deterministic-id enqueue helpers. */
export class Queues {
  readonly fetch: Queue;
  readonly classify: Queue;

  constructor(connection: Redis, prefix: string) {
    this.fetch = new Queue(QUEUE_FETCH, { connection, prefix, defaultJobOptions: jobDefaults });
    this.classify = new Queue(QUEUE_CLASSIFY, { connection, prefix, defaultJobOptions: jobDefaults });
  }

  async addFetch(jobs: FetchJob[]): Promise<void> {
    await this.fetch.addBulk(
      jobs.map((data) => ({ name: 'fetch', data, opts: { jobId: fetchJobId(data) } })),
    );
  }

  async addClassify(job: ClassifyJob): Promise<void> {
    await this.classify.add('classify', job, { jobId: classifyJobId(job) });
  }

  /** Jobs not yet finished in both queues (waiting, active, delayed...). Zero means the crawl has drained. */
  async pending(): Promise<{ fetch: number; classify: number; fetchActive: number }> {
    const kinds = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused'] as const;
    const [f, c] = await Promise.all([
      this.fetch.getJobCounts(...kinds),
      this.classify.getJobCounts(...kinds),
    ]);
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    return { fetch: sum(f), classify: sum(c), fetchActive: f.active ?? 0 };
  }

  async close(): Promise<void> {
    await Promise.all([this.fetch.close(), this.classify.close()]);
  }
}

export type { Worker };
