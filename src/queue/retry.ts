import { DelayedError, type Job } from 'bullmq';
import {
  CrawlEndedError,
  type FailReason,
  NonRetryableError,
  RetryLaterError,
  TransientError,
  errorMessage,
} from '../errors.ts';

/** How many times a job is tried in all (transient failures back off exponentially between tries). */
export const JOB_ATTEMPTS = 4;
/** How often a job may be put off by Retry-After, a paused host or an unreachable robots.txt before it fails. */
export const MAX_RETRY_LATER = 20;
/**
 * How often a job may wait its turn for a host's rate or concurrency slot. Waiting one's turn is not
 * a failure (a site of 50,000 pages at 2 requests/s keeps jobs waiting for hours), so this only stops
 * a job that could never get a slot.
 */
export const MAX_TURN_WAITS = 100_000;

/**
 * Exponential backoff with full jitter for transient failures: a random delay in
 * [0, min(cap, base * 2^(attempt-1))], so retrying workers don't hit a host in lock-step.
 */
export function backoffDelay(attemptsMade: number, baseMs = 1000, capMs = 60_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** How often a job may wait for Redis or the store to come back before it fails. */
export const MAX_INFRA_WAITS = 60;

/**
 * The one place where Spiderweb's errors become BullMQ behaviour:
 * - `NonRetryableError`: give up now (`onGiveUp` records the reason; the job completes).
 * - `RetryLaterError(delayMs)`: the job is delayed exactly that long without using up an attempt.
 *   Waiting one's turn at a host (`politeness`) is bounded by MAX_TURN_WAITS, anything else
 *   (Retry-After, paused host, robots.txt unreachable) by MAX_RETRY_LATER.
 * - `TransientError` (the site: 5xx, timeout, reset): rethrown so BullMQ retries with backoff; on the
 *   last attempt `onGiveUp` records the reason instead.
 * - Our own infrastructure failing (the store locked or down, Redis restarting; see
 *   `isInfrastructureError`): the job waits with backoff without using up an attempt, up to
 *   MAX_INFRA_WAITS times, so an outage delays the crawl and loses nothing.
 * - `CrawlEndedError` (the crawl was cancelled or lost): rethrown for the worker to drop the job.
 * - Anything else (a bug meeting a strange page) is retried like a transient error, then recorded
 *   as `internal`, so one bad page cannot stall a crawl.
 * If `onGiveUp` itself throws, the error propagates and BullMQ retries the job.
 */
export async function withRetryPolicy<T>(
  job: Job,
  token: string | undefined,
  run: () => Promise<T>,
  onGiveUp: (reason: FailReason, message: string) => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CrawlEndedError) throw err; // the job is dropped, not failed: the caller decides
    if (err instanceof NonRetryableError) return onGiveUp(err.reason, err.message);
    if (err instanceof RetryLaterError) {
      const turn = err.reason === 'politeness';
      return putOff(
        job,
        token,
        turn ? 'turnWaits' : 'retryLater',
        turn ? MAX_TURN_WAITS : MAX_RETRY_LATER,
        err.delayMs,
        () => onGiveUp(err.reason, err.message),
      );
    }
    if (err instanceof TransientError || !isInfrastructureError(err)) {
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        const reason: FailReason = err instanceof TransientError ? err.reason : 'internal';
        return onGiveUp(reason, `${errorMessage(err)} (after ${attempts} attempts)`);
      }
      throw err;
    }
    const waits = Number((job.data as Record<string, unknown>).infraWaits ?? 0);
    return putOff(job, token, 'infraWaits', MAX_INFRA_WAITS, backoffDelay(waits + 1, 500, 30_000), () =>
      onGiveUp('internal', `${errorMessage(err)} (after ${waits} waits)`),
    );
  }
}

/** Delays the job by `delayMs`, counting the put-off in `job.data[field]`; past `limit`, gives up. */
async function putOff<T>(
  job: Job,
  token: string | undefined,
  field: string,
  limit: number,
  delayMs: number,
  giveUp: () => Promise<T>,
): Promise<T> {
  const count = Number((job.data as Record<string, unknown>)[field] ?? 0);
  if (count >= limit || !token) return giveUp();
  await job.updateData({ ...(job.data as object), [field]: count + 1 });
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}

/** SQLite result codes that mean "the database is busy or unavailable", not "this job is wrong". */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)/;
/** PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57 operator intervention. */
const PG_UNAVAILABLE = /^(08|53|57)/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * True for errors of the store or Redis being unavailable (decided by error class and code, never by
 * message text): better-sqlite3's busy/locked/IO codes, PostgreSQL connection and resource SQLSTATEs,
 * socket errors of our own connections, ioredis giving up on a command while reconnecting.
 */
export function isInfrastructureError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (err.name === 'SqliteError') return SQLITE_UNAVAILABLE.test(code);
    if (NETWORK_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && 'severity' in err) return PG_UNAVAILABLE.test(code);
  }
  return err.name === 'MaxRetriesPerRequestError' || err.constructor.name === 'ConnectionTimeoutError';
}
