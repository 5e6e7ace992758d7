/** Reading hosts' breaker states (metrics, status output, tests). */
import type { Redis } from 'ioredis';
import { hostKeys } from './scripts.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A host's politeness state, as all workers see it. Times are epoch milliseconds (Redis clock). */
export interface HostState {
  /**
   * `closed`: requests flow. `open`: the breaker tripped; requests are put off until `reopensAt`.
   * `half-open`: the cooldown is over; one probe request is let through, and its success closes
   * the breaker while its failure opens it again for twice as long.
   */
  state: BreakerState;
  /** When an open breaker turns half-open; `null` unless `open`. */
  reopensAt: number | null;
  /** End of a Retry-After (or manual) pause still running, else `null`. */
  pausedUntil: number | null;
  pauseReason: string | null;
  /** Consecutive transient failures so far (resets on success and when the breaker trips). */
  failures: number;
  /** Consecutive breaker trips (the cooldown doubles with each); 0 once a probe succeeds. */
  trips: number;
  /** Concurrency leases currently held. */
  inFlight: number;
}

/** States of `hosts`, read in one round trip, judged by the Redis clock. */
export async function readHostStates(
  redis: Redis,
  prefix: string,
  hosts: readonly string[],
): Promise<Record<string, HostState>> {
  const multi = redis.multi().time();
  for (const host of hosts) {
    const [hash, leases] = hostKeys(prefix, host);
    multi.hgetall(hash).zrange(leases, 0, -1, 'WITHSCORES');
  }
  const replies = (await multi.exec()) ?? [];
  const time = replies[0]?.[1] as [string, string] | undefined;
  const nowUs = time ? Number(time[0]) * 1e6 + Number(time[1]) : Date.now() * 1000;
  const out: Record<string, HostState> = {};
  hosts.forEach((host, i) => {
    const h = (replies[1 + i * 2]?.[1] ?? {}) as Record<string, string>;
    const scores = (replies[2 + i * 2]?.[1] ?? []) as string[];
    let live = 0;
    for (let j = 1; j < scores.length; j += 2) if (Number(scores[j]) > nowUs) live++;
    out[host] = judge(h, nowUs, live);
  });
  return out;
}

function judge(h: Record<string, string>, nowUs: number, inFlight: number): HostState {
  const num = (f: string) => Number(h[f] ?? 0) || 0;
  const openUntil = num('openUntil');
  let state: BreakerState = h['state'] === 'open' || h['state'] === 'half-open' ? h['state'] : 'closed';
  if (state === 'open' && openUntil <= nowUs) state = 'half-open';
  const pauseUntil = num('pauseUntil');
  const paused = pauseUntil > nowUs;
  return {
    state,
    reopensAt: state === 'open' ? Math.round(openUntil / 1000) : null,
    pausedUntil: paused ? Math.round(pauseUntil / 1000) : null,
    pauseReason: paused ? (h['pauseReason'] ?? null) : null,
    failures: num('fails'),
    trips: num('trips'),
    inFlight,
  };
}
