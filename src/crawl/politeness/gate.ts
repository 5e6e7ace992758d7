/**
 * The per-host politeness gate: rate, concurrency, pauses (Retry-After) and a circuit breaker,
 * shared through Redis by every worker on every machine. See {@link PolitenessGate.enter}.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { log } from '../../log.ts';
import { intervalMs, MAX_COOLDOWN_MS, type PolitenessPolicy } from './policy.ts';
import { hostKeys, runScript, type ScriptName } from './scripts.ts';
import { type HostState, readHostStates } from './state.ts';

const logger = log.child({ component: 'politeness' });

/** Why a request to a host must wait for a later try. */
export type LaterReason = 'rate' | 'concurrency' | 'paused' | 'breaker-open';

/**
 * How a request went, as far as the host's health is concerned:
 * - `'ok'`: the host answered (any status but 5xx/429, including 404, or a page refused afterwards
 *   for its size or type). Resets the failure count; closes a half-open breaker when it was the probe.
 * - `'transient'`: 5xx, 429 without Retry-After, timeout, network or proxy error. Counts towards
 *   the breaker; reopens a half-open breaker when it was the probe.
 * - `{ retryAfterMs }`: 429/503 with Retry-After: the whole host is paused that long.
 * - `'neutral'`: the request never reached the host (SSRF refusal, cancelled...): only frees the lease.
 */
export type LeaveOutcome = 'ok' | 'transient' | 'neutral' | { retryAfterMs: number };

/** The caller may send its request now (it has already waited for its rate slot). */
export interface GoSlot {
  kind: 'go';
  /** This request's concurrency lease (kept alive by a heartbeat until `leave`). */
  leaseId: string;
  /** How long `enter` slept for the rate slot (ms). */
  waitedMs: number;
  /** True when this request is the half-open breaker's single probe. */
  probe: boolean;
  /** Releases the lease and records the outcome. Call exactly once, in `finally`; later calls do nothing. */
  leave(outcome: LeaveOutcome): Promise<void>;
}

/** Nothing was taken: try again in `delayMs` (throw `RetryLaterError`, so BullMQ delays the job). */
export interface LaterSlot {
  kind: 'later';
  /** Milliseconds to put the job off, jitter included so put-off jobs don't return in a herd. */
  delayMs: number;
  reason: LaterReason;
}

export type Slot = GoSlot | LaterSlot;

export interface PolitenessGateOptions {
  /** A Redis connection (shared with others is fine; the scripts are registered on it). */
  redis: Redis;
  /** Key prefix, as for queues (`spiderweb`); keys are `<prefix>:polite:...`. */
  prefix: string;
  /**
   * Lifetime of a concurrency lease (ms). A heartbeat renews it every third of this while the
   * request runs, so it only lapses when the worker dies (SIGKILL, power loss): a dead worker's
   * slot is free again after at most this long. Default 30 000.
   */
  leaseMs?: number;
  /**
   * Longest `enter` waits in-process for a rate slot or a free concurrency lease (ms); beyond
   * that it answers `later` and the job is delayed instead of holding a worker slot. Default 2 000.
   */
  maxWaitMs?: number;
  /** How long a host's keys outlive its last request (ms). Default one day. */
  keepMs?: number;
  /**
   * Longest delay a rate or concurrency put-off gets (ms). Put-off requests for a host are spread
   * one interval apart after each other (a backlog of 1 000 jobs at 2 req/s comes back over
   * 500 s, not all at once); this caps how far ahead that goes. Default 600 000 (10 min).
   */
  maxLaterMs?: number;
}

export interface EnterOptions {
  /** Overrides the gate's `maxWaitMs` for this call (`0`: never wait). */
  maxWaitMs?: number;
  /** Aborts the wait (shutdown): the lease is released and the abort error thrown. */
  signal?: AbortSignal;
}

type ScriptReply = [string, string, string?];

const US = 1000;

/** Politeness shared by all workers: one instance per process (or per test). */
export class PolitenessGate {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly maxWaitMs: number;
  private readonly keepMs: number;
  private readonly maxLaterMs: number;

  constructor(opts: PolitenessGateOptions) {
    this.redis = opts.redis;
    this.prefix = opts.prefix;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.maxWaitMs = opts.maxWaitMs ?? 2_000;
    this.keepMs = opts.keepMs ?? 24 * 3600_000;
    this.maxLaterMs = opts.maxLaterMs ?? 600_000;
  }

  /**
   * Asks to send one request to `host` (`new URL(url).host`: host name and port).
   *
   * In order: a paused host (Retry-After) → `later/paused`; an open breaker, or a half-open one
   * whose probe is still running → `later/breaker-open`; `maxConcurrent` leases held →
   * `later/concurrency` (after polling for up to `maxWaitMs`); next rate slot more than
   * `maxWaitMs` away → `later/rate` (no slot reserved). Otherwise a lease and the host's next slot
   * (`max(now, previous slot + interval)`, interval = `max(1000 / maxRps, crawlDelayMs)`) are
   * taken atomically, `enter` sleeps until that slot, and returns `go`: send the request at once,
   * then call `leave` with its outcome.
   *
   * On `later`, nothing is held: throw `RetryLaterError(reason, delayMs)` so the job waits in
   * BullMQ's delayed set instead of in the worker. Rate and concurrency put-offs of one host are
   * spaced one interval apart (see `maxLaterMs`), so a backlog returns at the host's pace; pauses
   * and open breakers return when they end (plus a little jitter).
   */
  async enter(host: string, policy: PolitenessPolicy, opts: EnterOptions = {}): Promise<Slot> {
    const interval = intervalMs(policy);
    const maxWait = Math.max(0, opts.maxWaitMs ?? this.maxWaitMs);
    const deadline = Date.now() + maxWait;
    let poll = 25;
    for (;;) {
      const leaseId = randomUUID();
      const remaining = Math.max(0, deadline - Date.now());
      const reply = (await this.run('spiderwebPoliteEnter', host, [
        Math.round(interval * US),
        remaining * US,
        policy.maxConcurrent,
        this.leaseMs * US,
        leaseId,
        this.keepMs,
        host,
        this.maxLaterMs * US,
        remaining > 0 ? '0' : '1',
      ])) as ScriptReply;
      if (reply[0] === 'go') {
        const waitMs = Number(reply[1]) / US;
        const slot = this.goSlot(host, leaseId, policy, waitMs, reply[2] === '1');
        if (waitMs > 0) {
          try {
            await sleep(waitMs, undefined, opts.signal ? { signal: opts.signal } : {});
          } catch (err) {
            await slot.leave('neutral');
            throw err;
          }
        }
        logger.debug({ host, waitMs: Math.round(waitMs), probe: slot.probe }, 'go');
        return slot;
      }
      const reason = reply[1] as LaterReason;
      const untilMs = Number(reply[2]) / US;
      if (reason === 'concurrency' && remaining > 0) {
        await sleep(Math.min(poll, remaining), undefined, opts.signal ? { signal: opts.signal } : {});
        poll = Math.min(poll * 2, 250);
        continue;
      }
      const delayMs = laterDelay(reason, untilMs, interval);
      logger.debug({ host, reason, delayMs }, 'later');
      return { kind: 'later', delayMs, reason };
    }
  }

  /**
   * Rate only: reserves `host`'s next request slot when it is at most `maxWaitMs` away and
   * returns `{ reserved: true, waitMs }` (sleep that long, then send); otherwise reserves
   * nothing and returns `{ reserved: false, waitMs }`, the time until the next free slot.
   */
  async reserve(
    host: string,
    minIntervalMs: number,
    maxWaitMs: number,
  ): Promise<{ reserved: boolean; waitMs: number }> {
    const reply = (await this.run('spiderwebPoliteReserve', host, [
      Math.round(minIntervalMs * US),
      Math.max(0, maxWaitMs) * US,
      this.keepMs,
      host,
    ])) as ScriptReply;
    const reserved = reply[0] === 'go';
    return { reserved, waitMs: Number(reserved ? reply[1] : reply[2]) / US };
  }

  /**
   * Concurrency only: takes one of `maxConcurrent` leases on `host` (expiring after `leaseMs`
   * unless released) and returns its id, or `null` when all are held. No heartbeat: release it
   * with {@link release} well before it lapses.
   */
  async acquire(host: string, maxConcurrent: number, leaseMs = this.leaseMs): Promise<string | null> {
    const leaseId = randomUUID();
    const reply = (await this.run('spiderwebPoliteAcquire', host, [
      maxConcurrent,
      leaseMs * US,
      leaseId,
      this.keepMs,
      host,
    ])) as ScriptReply;
    return reply[0] === 'go' ? leaseId : null;
  }

  /** Gives back a lease from {@link acquire} (nothing recorded about the host's health). */
  async release(host: string, leaseId: string): Promise<void> {
    await this.redis.zrem(hostKeys(this.prefix, host)[1], leaseId);
  }

  /** Pauses every request to `host` for `ms` (Retry-After, an operator...). A longer running pause is kept. */
  async pauseHost(host: string, ms: number, reason: string): Promise<void> {
    await this.record(host, '', 'pause', undefined, Math.max(0, ms), reason);
    logger.debug({ host, ms, reason }, 'host paused');
  }

  /** Records a success on `host`: resets its failure count and closes a half-open breaker. */
  async recordSuccess(host: string, policy: PolitenessPolicy): Promise<void> {
    await this.record(host, '', 'ok', policy);
  }

  /** Records a transient failure on `host`; the `failureThreshold`-th in a row opens the breaker. */
  async recordFailure(host: string, policy: PolitenessPolicy): Promise<void> {
    await this.record(host, '', 'transient', policy);
  }

  /** The breaker state, pause and leases of one host. */
  async state(host: string): Promise<HostState> {
    const states = await readHostStates(this.redis, this.prefix, [host]);
    return states[host]!;
  }

  /** Every host active in the last `keepMs`, with its state (for metrics and `status` output). */
  async hostsState(): Promise<Record<string, HostState>> {
    const registry = hostKeys(this.prefix, '')[2];
    await this.redis.zremrangebyscore(registry, '-inf', Date.now() - this.keepMs);
    const hosts = await this.redis.zrange(registry, 0, -1);
    return readHostStates(this.redis, this.prefix, hosts);
  }

  private goSlot(
    host: string,
    leaseId: string,
    policy: PolitenessPolicy,
    waitMs: number,
    probe: boolean,
  ): GoSlot {
    const beat = setInterval(
      () => {
        this.run('spiderwebPoliteExtend', host, [leaseId, this.leaseMs * US]).then(
          (alive) => {
            if (alive === 0) logger.debug({ host, leaseId }, 'lease lapsed before leave');
          },
          (err: unknown) => logger.debug({ host, err }, 'lease heartbeat failed'),
        );
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    beat.unref();
    let left = false;
    return {
      kind: 'go',
      leaseId,
      waitedMs: waitMs,
      probe,
      leave: async (outcome) => {
        if (left) return;
        left = true;
        clearInterval(beat);
        if (typeof outcome === 'object') {
          await this.record(host, leaseId, 'pause', policy, Math.max(0, outcome.retryAfterMs), 'retry-after');
        } else {
          await this.record(host, leaseId, outcome, policy);
        }
      },
    };
  }

  private async record(
    host: string,
    leaseId: string,
    outcome: 'ok' | 'transient' | 'pause' | 'neutral',
    policy: PolitenessPolicy | undefined,
    pauseMs = 0,
    pauseReason = '',
  ): Promise<void> {
    const reply = (await this.run('spiderwebPoliteLeave', host, [
      leaseId,
      outcome,
      Math.round(pauseMs * US),
      pauseReason,
      policy?.failureThreshold ?? 5,
      Math.round((policy?.cooldownMs ?? 60_000) * US),
      MAX_COOLDOWN_MS * US,
      this.keepMs,
      host,
    ])) as ScriptReply;
    if (outcome === 'transient' && reply[0] === 'open') {
      logger.debug({ host, reopensInMs: Math.round(Number(reply[1]) / US - Date.now()) }, 'breaker open');
    }
  }

  private run(name: ScriptName, host: string, args: (string | number)[]): Promise<unknown> {
    return runScript(this.redis, name, hostKeys(this.prefix, host), args);
  }
}

/** When a put-off request should come back, with jitter so a herd of put-off jobs spreads out. */
function laterDelay(reason: LaterReason, untilMs: number, interval: number): number {
  const jitter = Math.random();
  let delay: number;
  switch (reason) {
    case 'paused':
    case 'breaker-open':
      delay = untilMs + jitter * Math.min(1000, untilMs * 0.1 + interval);
      break;
    case 'rate':
    case 'concurrency':
      // The script placed this request in the host's virtual queue; jitter within one interval.
      delay = untilMs + jitter * Math.min(interval, 1000);
      break;
  }
  return Math.max(1, Math.ceil(delay));
}
