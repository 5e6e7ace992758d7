import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RetryLaterError, TransientError } from '../../../src/errors.ts';
import { fetchHttp } from '../../../src/crawl/http/index.ts';
import {
  outcomeOf,
  PolitenessGate,
  type PolitenessPolicy,
  politenessSchema,
} from '../../../src/crawl/politeness/index.ts';
import { type FixtureServer, startServer } from '../../helpers/fixture-server.ts';
import type { ClientCommand, LoopResult } from '../../helpers/politeness-client.ts';
import { dropPrefix, REDIS_URL, repoRoot, testPrefix } from '../../helpers/runtime.ts';

const CLIENT = join(repoRoot, 'test/helpers/politeness-client.ts');

function policy(over: Partial<PolitenessPolicy>): PolitenessPolicy {
  return { ...politenessSchema.parse({}), ...over };
}

interface Client {
  child: ChildProcess;
  /** Sends a command and resolves with its one-line JSON answer. */
  send<T>(cmd: ClientCommand): Promise<T>;
}

/** Starts a worker process running the gate; resolves once it is connected and `ready`. */
async function startClient(): Promise<Client> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, REDIS_URL], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: process.env.CLIENT_LOG ?? 'silent' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  expect(first.value).toBe('ready');
  return {
    child,
    async send<T>(cmd: ClientCommand) {
      child.stdin!.write(`${JSON.stringify(cmd)}\n`);
      const line = await lines.next();
      if (line.done) throw new Error('client exited');
      return JSON.parse(String(line.value)) as T;
    },
  };
}

/** A page that takes `delayMs`, counting requests in flight. */
function inFlightRoute(delayMs: number, track: { now: number; max: number }) {
  return async (_req: unknown, res: import('node:http').ServerResponse) => {
    track.now++;
    track.max = Math.max(track.max, track.now);
    res.on('close', () => track.now--);
    await sleep(delayMs);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>ok</p>');
  };
}

describe('per-host politeness across processes', () => {
  let server: FixtureServer;
  const rateTrack = { now: 0, max: 0 };
  const concTrack = { now: 0, max: 0 };
  let failing = true;
  let busyOnce = true;
  let clients: [Client, Client];

  beforeAll(async () => {
    // Two worker processes for the whole file (tsx start-up is slow); the lease test, which runs
    // after the two-process tests, kills the second one.
    clients = await Promise.all([startClient(), startClient()]);
    server = await startServer({
      '/rate': inFlightRoute(10, rateTrack),
      '/conc': inFlightRoute(80, concTrack),
      '/busy': (_req, res) => {
        if (busyOnce) {
          busyOnce = false;
          res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('slow down');
        } else res.writeHead(200, { 'content-type': 'text/html' }).end('<p>ok</p>');
      },
      '/flaky': (_req, res) => {
        res.writeHead(failing ? 500 : 200, { 'content-type': 'text/html' }).end('<p>x</p>');
      },
      '/hang': () => {},
    });
  });
  afterAll(async () => {
    await Promise.all(
      (clients ?? []).map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill();
        await once(child, 'exit');
      }),
    );
    await server?.close();
  });

  let prefix: string;
  let redis: Redis;
  let gate: PolitenessGate;
  beforeEach(() => {
    prefix = testPrefix();
    redis = new Redis(REDIS_URL);
    gate = new PolitenessGate({ redis, prefix });
  });
  afterEach(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('holds the request rate within 10% of maxRps across two worker processes', async () => {
    // Six loops in two processes want more than 10 req/s; concurrency is not the limit here.
    const p = policy({ maxRps: 10, maxConcurrent: 8 });
    const cmd = {
      cmd: 'loop',
      prefix,
      url: `${server.url}/rate`,
      policy: p,
      loops: 3,
      requests: 16,
    } as const;
    const results = await Promise.all([
      clients[0].send<LoopResult>({ ...cmd, tag: 'a' }),
      clients[1].send<LoopResult>({ ...cmd, tag: 'b' }),
    ]);

    const hits = server.hits.filter((h) => h.path === '/rate');
    const times = hits.map((h) => h.at).sort((x, y) => x - y);
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    const rate = (times.length - 1) / spanS;
    let maxPerSecond = 0;
    for (let i = 0; i < times.length; i++) {
      maxPerSecond = Math.max(
        maxPerSecond,
        times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length,
      );
    }
    const byClient = (tag: string) => hits.filter((h) => h.headers['x-client'] === tag).length;
    console.info(
      `politeness rate: ${times.length} requests in ${spanS.toFixed(3)} s = ${rate.toFixed(2)} req/s ` +
        `(configured 10; a: ${byClient('a')}, b: ${byClient('b')}; max in any 1 s window ${maxPerSecond}; ` +
        `max in flight ${rateTrack.max}; put off: ${JSON.stringify(results.map((r) => r.later))})`,
    );
    expect(results.map((r) => r.done)).toEqual([16, 16]);
    expect(times).toHaveLength(32);
    expect(Math.abs(rate - 10) / 10).toBeLessThan(0.1);
    // Slots are exactly 100 ms apart; arrivals jitter by the clients' scheduling, so allow a little.
    expect(maxPerSecond).toBeLessThanOrEqual(13);
    expect(byClient('a')).toBeGreaterThanOrEqual(8);
    expect(byClient('b')).toBeGreaterThanOrEqual(8);
    expect(rateTrack.max).toBeLessThanOrEqual(4);
  });

  it('never exceeds maxConcurrent in flight to a host across two processes', async () => {
    const p = policy({ maxRps: 200, maxConcurrent: 2 });
    const cmd = {
      cmd: 'loop',
      prefix,
      url: `${server.url}/conc`,
      policy: p,
      loops: 4,
      requests: 10,
    } as const;
    const results = await Promise.all([
      clients[0].send<LoopResult>({ ...cmd, tag: 'a' }),
      clients[1].send<LoopResult>({ ...cmd, tag: 'b' }),
    ]);
    expect(results.map((r) => r.done)).toEqual([10, 10]);
    expect(server.hits.filter((h) => h.path === '/conc')).toHaveLength(20);
    expect(concTrack.max).toBe(2);
    expect((await gate.state(new URL(server.url).host)).inFlight).toBe(0);
  });

  it('pauses the host for the Retry-After of a 429', async () => {
    const host = new URL(server.url).host;
    const p = policy({ maxRps: 50 });
    const first = await gate.enter(host, p);
    expect(first.kind).toBe('go');
    if (first.kind !== 'go') return;
    const err = await fetchHttp(`${server.url}/busy`, { allowPrivateNetwork: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryLaterError);
    await first.leave(outcomeOf(err));

    const st = await gate.state(host);
    expect(st.pauseReason).toBe('retry-after');
    expect(st.pausedUntil! - Date.now()).toBeGreaterThan(800);

    const later = await gate.enter(host, p);
    expect(later).toMatchObject({ kind: 'later', reason: 'paused' });
    if (later.kind !== 'later') return;
    expect(later.delayMs).toBeGreaterThan(800);
    expect(later.delayMs).toBeLessThan(1300);

    await sleep(later.delayMs);
    const again = await gate.enter(host, p);
    expect(again.kind).toBe('go');
    if (again.kind !== 'go') return;
    await fetchHttp(`${server.url}/busy`, { allowPrivateNetwork: true });
    await again.leave('ok');
    const busy = server.hits.filter((h) => h.path === '/busy');
    expect(busy).toHaveLength(2);
    expect(busy[1]!.at - busy[0]!.at).toBeGreaterThanOrEqual(995);
  });

  it('opens the breaker after 5 transient failures, half-opens after the cooldown, closes on success', async () => {
    const host = new URL(server.url).host;
    const p = policy({ maxRps: 100, failureThreshold: 5, cooldownMs: 300 });
    const attempt = async (opts: { maxWaitMs?: number } = {}) => {
      const slot = await gate.enter(host, p, opts);
      if (slot.kind === 'later') return slot;
      try {
        await fetchHttp(`${server.url}/flaky`, { allowPrivateNetwork: true });
        await slot.leave('ok');
      } catch (err) {
        expect(err).toBeInstanceOf(TransientError);
        await slot.leave(outcomeOf(err));
      }
      return slot;
    };
    failing = true;
    for (let i = 1; i <= 4; i++) expect((await attempt()).kind).toBe('go');
    expect(await gate.state(host)).toMatchObject({ state: 'closed', failures: 4 });
    expect((await attempt()).kind).toBe('go');
    const opened = await gate.state(host);
    expect(opened).toMatchObject({ state: 'open', trips: 1 });
    expect(opened.reopensAt! - Date.now()).toBeGreaterThan(200);

    const refused = await gate.enter(host, p);
    expect(refused).toMatchObject({ kind: 'later', reason: 'breaker-open' });
    if (refused.kind === 'later') expect(refused.delayMs).toBeGreaterThan(200);
    expect(server.hits.filter((h) => h.path === '/flaky')).toHaveLength(5);
    expect(await gate.hostsState()).toHaveProperty([host, 'state'], 'open');

    await sleep(opened.reopensAt! - Date.now() + 20);
    expect((await gate.state(host)).state).toBe('half-open');
    // One probe at a time; it fails, so the breaker reopens for twice the cooldown.
    const probe = await gate.enter(host, p);
    expect(probe).toMatchObject({ kind: 'go', probe: true });
    expect(await gate.enter(host, p, { maxWaitMs: 0 })).toMatchObject({
      kind: 'later',
      reason: 'breaker-open',
    });
    if (probe.kind === 'go') await probe.leave('transient');
    const reopened = await gate.state(host);
    expect(reopened).toMatchObject({ state: 'open', trips: 2 });
    expect(reopened.reopensAt! - Date.now()).toBeGreaterThan(450);

    failing = false;
    await sleep(reopened.reopensAt! - Date.now() + 20);
    const good = await attempt();
    expect(good).toMatchObject({ kind: 'go', probe: true });
    expect(await gate.state(host)).toMatchObject({ state: 'closed', failures: 0, trips: 0 });
    expect(await attempt()).toMatchObject({ kind: 'go', probe: false });
    expect(server.hits.filter((h) => h.path === '/flaky')).toHaveLength(7);
  });

  it("frees a killed worker's concurrency slot once its lease lapses", async () => {
    const host = new URL(server.url).host;
    const p = policy({ maxRps: 100, maxConcurrent: 1 });
    const holder = clients[1];
    expect(
      await holder.send({
        cmd: 'hold',
        prefix,
        url: `${server.url}/hang`,
        tag: 'h',
        policy: p,
        leaseMs: 500,
      }),
    ).toEqual({ held: true });
    try {
      expect(await gate.enter(host, p, { maxWaitMs: 0 })).toMatchObject({
        kind: 'later',
        reason: 'concurrency',
      });
      // The holder's heartbeat keeps its lease alive past leaseMs while it lives.
      await sleep(700);
      expect(await gate.enter(host, p, { maxWaitMs: 0 })).toMatchObject({
        kind: 'later',
        reason: 'concurrency',
      });
      expect((await gate.state(host)).inFlight).toBe(1);
    } finally {
      holder.child.kill('SIGKILL');
      if (holder.child.exitCode === null && holder.child.signalCode === null)
        await once(holder.child, 'exit');
    }
    const killedAt = Date.now();
    let slot = await gate.enter(host, p, { maxWaitMs: 0 });
    while (slot.kind === 'later' && Date.now() - killedAt < 3000) {
      await sleep(25);
      slot = await gate.enter(host, p, { maxWaitMs: 0 });
    }
    expect(slot.kind).toBe('go');
    expect(Date.now() - killedAt).toBeLessThan(800);
    if (slot.kind === 'go') await slot.leave('neutral');
  });

  it('reserves rate slots and concurrency leases on their own', async () => {
    const host = 'example.test:8080';
    expect(await gate.reserve(host, 200, 0)).toEqual({ reserved: true, waitMs: 0 });
    const refused = await gate.reserve(host, 200, 50);
    expect(refused.reserved).toBe(false);
    expect(refused.waitMs).toBeGreaterThan(150);
    const queued = await gate.reserve(host, 200, 1000);
    expect(queued.reserved).toBe(true);
    expect(queued.waitMs).toBeGreaterThan(150);

    const a = await gate.acquire(host, 2);
    const b = await gate.acquire(host, 2);
    expect(a && b).toBeTruthy();
    expect(await gate.acquire(host, 2)).toBeNull();
    await gate.release(host, a!);
    expect(await gate.acquire(host, 2)).toBeTruthy();

    await gate.pauseHost(host, 5000, 'operator');
    expect(await gate.enter(host, policy({}))).toMatchObject({ kind: 'later', reason: 'paused' });
    const all = await gate.hostsState();
    expect(all[host]).toMatchObject({ state: 'closed', pauseReason: 'operator', inFlight: 2 });
  });

  it('spaces the put-offs of a busy host one interval apart', async () => {
    const host = 'busy.test';
    const p = policy({ maxRps: 2 });
    const first = await gate.enter(host, p, { maxWaitMs: 0 });
    expect(first.kind).toBe('go');
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const slot = await gate.enter(host, p, { maxWaitMs: 0 });
      expect(slot).toMatchObject({ kind: 'later', reason: 'rate' });
      if (slot.kind === 'later') delays.push(slot.delayMs);
    }
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual((i + 1) * 500 - 60);
      expect(d).toBeLessThanOrEqual((i + 1) * 500 + 510);
    });
    if (first.kind === 'go') await first.leave('ok');
  });

  it('validates the site politeness block with defaults', () => {
    expect(politenessSchema.parse(undefined)).toEqual({
      maxRps: 2,
      maxConcurrent: 2,
      failureThreshold: 5,
      cooldownMs: 60_000,
    });
    expect(politenessSchema.safeParse({ maxRps: 0 }).success).toBe(false);
    expect(politenessSchema.safeParse({ maxConcurrnet: 3 }).success).toBe(false);
  });
});
