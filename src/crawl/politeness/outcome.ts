import { NonRetryableError, RetryLaterError, TransientError } from '../../errors.ts';
import type { LeaveOutcome } from './gate.ts';

/**
 * What a fetch error says about the host, for `slot.leave`: Retry-After (429/503) pauses the host;
 * 5xx, timeouts, network and proxy errors are transient failures for its breaker; a refusal of
 * ours (SSRF, scope, robots) never reached it; anything else the host did answer.
 *
 *   try { page = await fetchPage(...); await slot.leave('ok'); }
 *   catch (err) { await slot.leave(outcomeOf(err)); throw err; }
 */
export function outcomeOf(err: unknown): LeaveOutcome {
  if (err instanceof RetryLaterError)
    return err.reason === 'http-status' ? { retryAfterMs: err.delayMs } : 'neutral';
  if (err instanceof TransientError) return 'transient';
  if (err instanceof NonRetryableError) {
    switch (err.reason) {
      case 'too-large':
      case 'decompression-bomb':
      case 'content-type':
      case 'redirect-limit':
      case 'http-status':
        return 'ok';
      default:
        return 'neutral';
    }
  }
  return 'neutral';
}
