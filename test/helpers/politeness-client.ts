/**
 * A worker process for the politeness tests: `node --import tsx politeness-client.ts <redisUrl>`.
 * It prints `ready`, then runs one JSON command per stdin line and answers with one JSON line:
 *
 * - `{ cmd: 'loop', ... }`: `loops` concurrent loops of enter → GET `url` → leave until `requests`
 *   requests are done (a `later` answer sleeps its delay, as a delayed job would) → `{ done, later }`
 *   (`later` counts the put-offs by reason).
 * - `{ cmd: 'hold', ... }`: enters once and keeps the lease (and its heartbeat) → `{ held: true }`;
 *   the test then kills the process.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { fetchHttp } from '../../src/crawl/http/index.ts';
import { outcomeOf, PolitenessGate, type PolitenessPolicy } from '../../src/crawl/politeness/index.ts';

export interface ClientCommand {
  cmd: 'loop' | 'hold';
  prefix: string;
  url: string;
  /** Sent as `x-client` so the server knows which process asked. */
  tag: string;
  policy: PolitenessPolicy;
  requests?: number;
  loops?: number;
  leaseMs?: number;
  maxWaitMs?: number;
}

export interface LoopResult {
  done: number;
  later: Record<string, number>;
}

const redis = new Redis(process.argv[2] ?? 'redis://127.0.0.1:6379');

function gateFor(c: ClientCommand): PolitenessGate {
  return new PolitenessGate({
    redis,
    prefix: c.prefix,
    ...(c.leaseMs === undefined ? {} : { leaseMs: c.leaseMs }),
    ...(c.maxWaitMs === undefined ? {} : { maxWaitMs: c.maxWaitMs }),
  });
}

async function loop(c: ClientCommand): Promise<LoopResult> {
  const gate = gateFor(c);
  const host = new URL(c.url).host;
  let started = 0;
  let done = 0;
  const later: Record<string, number> = {};
  const run = async () => {
    while (started < (c.requests ?? 10)) {
      started++;
      for (;;) {
        const slot = await gate.enter(host, c.policy);
        if (slot.kind === 'later') {
          later[slot.reason] = (later[slot.reason] ?? 0) + 1;
          await sleep(slot.delayMs);
          continue;
        }
        try {
          await fetchHttp(c.url, { allowPrivateNetwork: true, headers: { 'x-client': c.tag } });
          await slot.leave('ok');
        } catch (err) {
          await slot.leave(outcomeOf(err));
        }
        break;
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: c.loops ?? 1 }, run));
  return { done, later };
}

async function hold(c: ClientCommand): Promise<{ held: true }> {
  const gate = gateFor(c);
  for (;;) {
    const slot = await gate.enter(new URL(c.url).host, c.policy);
    if (slot.kind === 'go') return { held: true };
    await sleep(slot.delayMs);
  }
}

await redis.ping();
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const c = JSON.parse(line) as ClientCommand;
  const result = c.cmd === 'hold' ? await hold(c) : await loop(c);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
redis.disconnect();
