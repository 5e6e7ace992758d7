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

/**
 * The one place where Spiderweb's errors become BullMQ behaviour:
 * - `NonRetryableError`: give up now (`onGiveUp` records the reason; the job completes).
 * - `RetryLaterError(delayMs)`: the job is delayed exactly that long, without using up an attempt
 *   (bounded by MAX_RETRY_LATER).
 * - `TransientError` and anything else: rethrown so BullMQ retries with backoff; on the last attempt
 *   `onGiveUp` records the reason instead.
 * If `onGiveUp` itself throws (the store is down), the error propagates and the job is retried later.
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
      const later = Number((job.data as { retryLater?: number }).retryLater ?? 0);
      if (later >= MAX_RETRY_LATER || !token)
        return onGiveUp(err.reason, `${err.message} (put off ${later} times)`);
      await job.updateData({ ...(job.data as object), retryLater: later + 1 });
      await job.moveToDelayed(Date.now() + err.delayMs, token);
      throw new DelayedError();
    }
    const attempts = job.opts.attempts ?? 1;
    if (job.attemptsMade + 1 >= attempts) {
      const reason: FailReason = err instanceof TransientError ? err.reason : 'internal';
      return onGiveUp(reason, `${errorMessage(err)} (after ${attempts} attempts)`);
    }
    throw err;
  }
}
