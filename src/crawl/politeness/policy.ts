/**
 * Per-host politeness settings: the `politeness:` block of a site file, and the policy the gate
 * enforces (the same fields plus a Crawl-delay learnt from robots.txt).
 */
import { z } from 'zod';

/** Longest a tripped breaker keeps a host closed, however often it trips in a row (15 min). */
export const MAX_COOLDOWN_MS = 15 * 60_000;

/**
 * `politeness:` in `config/sites/<id>.yaml`. Every field is optional. The limits hold per host
 * (`host:port`) across every worker on every machine sharing the Redis, not per process.
 *
 * ```yaml
 * politeness:
 *   maxRps: 0.5          # one request every 2 s to each host of this site
 *   maxConcurrent: 1     # never two requests in flight to the same host
 *   failureThreshold: 5  # 5 timeouts / 5xx / network errors in a row pause the host...
 *   cooldownMs: 120000   # ...for 2 min, then one probe request decides whether to resume
 * ```
 */
export const politenessSchema = z
  .object({
    /**
     * Requests per second to one host, at most (fractions allowed: `0.2` is one request every
     * 5 s). A robots.txt `Crawl-delay` (when robots are obeyed) can only make it slower. Default 2.
     */
    maxRps: z.number().positive().max(1000).default(2),
    /** Requests in flight to one host at the same time, at most. Default 2. */
    maxConcurrent: z.number().int().min(1).max(256).default(2),
    /**
     * Consecutive transient failures (5xx, 429 without Retry-After, timeouts, network and proxy
     * errors) that open the host's circuit breaker: its fetches are put off for `cooldownMs`,
     * then one probe request is let through; its success closes the breaker. Default 5.
     */
    failureThreshold: z.number().int().min(1).max(1000).default(5),
    /**
     * How long an opened breaker keeps the host paused (ms). Doubles each time the probe fails
     * (60 s, 2 min, 4 min...), up to 15 min; a successful probe resets it. Default 60 000.
     */
    cooldownMs: z.number().int().min(100).max(MAX_COOLDOWN_MS).default(60_000),
  })
  .strict()
  .prefault({});

export type PolitenessConfig = z.output<typeof politenessSchema>;

/** What the gate enforces for one host. */
export interface PolitenessPolicy {
  /** Requests per second to the host, at most (> 0). */
  maxRps: number;
  /** Requests in flight to the host at once, at most (≥ 1). */
  maxConcurrent: number;
  /** Consecutive transient failures that open the breaker (≥ 1). */
  failureThreshold: number;
  /** First breaker pause (ms); doubles per failed probe up to {@link MAX_COOLDOWN_MS}. */
  cooldownMs: number;
  /** robots.txt Crawl-delay (ms): raises the interval between requests when larger than `1000 / maxRps`. */
  crawlDelayMs?: number | undefined;
}

/** The defaults of {@link politenessSchema}, as a policy. */
export const DEFAULT_POLITENESS: Readonly<PolitenessPolicy> = Object.freeze(
  politenessSchema.parse(undefined),
);

/** Milliseconds between two requests to a host under `policy` (fractional). */
export function intervalMs(policy: Pick<PolitenessPolicy, 'maxRps' | 'crawlDelayMs'>): number {
  const byRate = 1000 / Math.max(policy.maxRps, 1e-6);
  return Math.max(byRate, policy.crawlDelayMs ?? 0);
}
