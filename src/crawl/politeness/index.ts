/**
 * Per-host politeness shared by every worker on every machine (through Redis): requests per
 * second, requests in flight, Retry-After pauses and a circuit breaker per host.
 *
 *   const gate = new PolitenessGate({ redis, prefix });
 *   const slot = await gate.enter(new URL(url).host, policy);
 *   if (slot.kind === 'later') throw new RetryLaterError(...slot.delayMs);
 *   try { ...fetch...; await slot.leave('ok'); } catch (err) { await slot.leave(outcomeOf(err)); throw err; }
 */
export {
  type EnterOptions,
  type GoSlot,
  type LaterReason,
  type LaterSlot,
  type LeaveOutcome,
  PolitenessGate,
  type PolitenessGateOptions,
  type Slot,
} from './gate.ts';
export { outcomeOf } from './outcome.ts';
export {
  DEFAULT_POLITENESS,
  intervalMs,
  MAX_COOLDOWN_MS,
  type PolitenessConfig,
  type PolitenessPolicy,
  politenessSchema,
} from './policy.ts';
export type { BreakerState, HostState } from './state.ts';
