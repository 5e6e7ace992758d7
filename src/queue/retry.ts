import { DelayedError, type Job } from 'bullmq';
import {
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
 * - Anything else is taken as our own infrastructure failing (the store locked or down, Redis
 *   restarting): the job waits with backoff without using up an attempt, up to MAX_INFRA_WAITS times,
 *   so an outage delays the crawl and loses nothing.
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
    if (err instanceof TransientError) {
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts)
        return onGiveUp(err.reason, `${err.message} (after ${attempts} attempts)`);
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
