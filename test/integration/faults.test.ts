import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type SiteConfig, siteSchema } from '../../src/config/index.ts';
import { processFetch } from '../../src/crawl/index.ts';
import { log } from '../../src/log.ts';
import { fetchJobId, newCrawlId } from '../../src/queue/index.ts';
import { openRuntime, runCrawl, type Runtime } from '../../src/runtime/index.ts';
import { type GeneratedSite, startGeneratedSite } from '../helpers/generated-site.ts';
import {
  freePort,
  spawnWorker,
  startRedis,
  type WorkerProcess,
  writeConfigDir,
} from '../helpers/processes.ts';
import { dropPrefix, REDIS_URL, tempDir, testPrefix } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const siteFor = (site: GeneratedSite): SiteConfig =>
  siteSchema.parse({
    id: 'gen',
    seeds: [site.url],
    allowPrivateNetwork: true,
    maxPages: 10_000,
    robots: 'ignore',
    politeness: { maxRps: 1000, maxConcurrent: 32 },
    evidence: { screenshots: false },
  });

/** Everything a crawl must end with whatever happened on the way: every page, no failure, no duplicates. */
async function expectComplete(rt: Runtime, crawlId: string, site: GeneratedSite, leadEvery: number) {
  const pages = await storeDb(rt.store)
    .selectFrom('pages')
    .select(['url', 'state'])
    .where('crawl_id', '=', crawlId)
    .execute();
  expect(pages.map((p) => new URL(p.url).pathname).sort()).toEqual([...site.paths].sort());
  expect(pages.filter((p) => p.state !== 'fetched')).toEqual([]);
  const listings = site.paths.filter((p) => p.startsWith('/item/')).length;
  const leads = await storeDb(rt.store).selectFrom('leads').select(['page_id', 'url']).execute();
  expect(leads).toHaveLength(Math.ceil(listings / leadEvery));
  expect(new Set(leads.map((l) => l.page_id)).size).toBe(leads.length);
  const ids = await storeDb(rt.store).selectFrom('identifiers').select(['type', 'value']).execute();
  expect(new Set(ids.map((i) => `${i.type}:${i.value}`)).size).toBe(ids.length);
  expect(ids.filter((i) => i.type === 'telegram')).toHaveLength(5);
  const edges = await storeDb(rt.store)
    .selectFrom('page_identifiers')
    .select(['page_id', 'identifier_id'])
    .execute();
  expect(new Set(edges.map((e) => `${e.page_id}:${e.identifier_id}`)).size).toBe(edges.length);
}

function crawlRow(rt: Runtime, crawlId: string) {
  return storeDb(rt.store)
    .selectFrom('crawls')
    .select(['state', 'reason'])
    .where('id', '=', crawlId)
    .executeTakeFirst();
}

describe('faults survived', () => {
  let dir: ReturnType<typeof tempDir>;
  const prefixes: string[] = [];

  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(async () => {
    for (const p of prefixes) await dropPrefix(p);
    dir?.remove();
  });

  function config(name: string, redisUrl = REDIS_URL, extra: { lockMs?: number } = {}) {
    const prefix = testPrefix();
    prefixes.push(prefix);
    return writeConfigDir(join(dir.path, name), {
      redisUrl,
      prefix,
      dataDir: join(dir.path, name, 'data'),
      ...extra,
    });
  }

  it('20 worker processes SIGKILLed at random and restarted: no page lost, no lead or identifier twice', async () => {
    const site = await startGeneratedSite({ listings: 1200, delayMs: 15, leadEvery: 10 });
    const configDir = config('kills');
    const rt = await openRuntime(await loadConfig(configDir, { env: {} }));
    const workers: WorkerProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) workers.push(spawnWorker(configDir, ['--concurrency', '4']));
      let done = false;
      const crawl = runCrawl(rt, { sites: [siteFor(site)], workers: null }).finally(() => {
        done = true;
      });
      let kills = 0;
      while (kills < 20) {
        await sleep(300 + Math.random() * 500);
        expect(done, `the crawl ended after only ${kills} kills`).toBe(false);
        const victim = Math.floor(Math.random() * workers.length);
        workers[victim]!.child.kill('SIGKILL');
        await workers[victim]!.exited;
        workers[victim] = spawnWorker(configDir, ['--concurrency', '4']);
        kills++;
      }
      const summary = await crawl;
      expect(summary.failed).toBe(0);
      await expectComplete(rt, summary.crawlId, site, 10);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await rt.close();
      await site.close();
    }
  }, 300_000);

  it('a fetch job that dies between admitting its links and enqueueing them enqueues them when retried', async () => {
    // Item n also links to items 7n+1, 7n+14 and 7n+27 (mod 100).
    const site = await startGeneratedSite({ listings: 100, linksPerListing: 3 });
    const rt = await openRuntime(await loadConfig(config('admit-then-die'), { env: {} }));
    try {
      const gen = siteFor(site);
      const crawlId = newCrawlId();
      await rt.state.start(crawlId, [gen]);
      let die = true;
      const deps = {
        store: rt.store,
        state: rt.state,
        fetcher: rt.fetcher,
        gate: rt.gate,
        robots: rt.robots,
        enqueueFetch: async (jobs: Parameters<typeof rt.queues.addFetch>[0]) => {
          if (die) throw new Error('killed after admitting');
          await rt.queues.addFetch(jobs);
        },
        enqueueClassify: (job: Parameters<typeof rt.queues.addClassify>[0]) => rt.queues.addClassify(job),
        log,
      };
      const page = (path: string) => ({
        crawlId,
        siteId: 'gen',
        url: new URL(path, site.url).href,
        depth: 1,
        foundVia: 'link' as const,
        referrer: site.url,
      });
      await expect(processFetch(page('/page/0'), deps)).rejects.toThrow('killed after admitting');
      die = false;
      // Meanwhile this process fetches /item/60, which links to /item/21, /item/34 and /item/47 of those:
      // duplicates for it (this process remembers who admitted them) ...
      expect(await processFetch(page('/item/60'), deps)).toMatchObject({ kind: 'fetched', links: 0 });
      // ... but not for the retry of their owner.
      const retried = await processFetch(page('/page/0'), deps);
      expect(retried).toMatchObject({ kind: 'fetched', links: 50 });
      for (let n = 0; n < 50; n++)
        expect(await rt.queues.fetch.getJob(fetchJobId(page(`/item/${n}`))), `/item/${n}`).toBeTruthy();
      // Run once more (a second retry): the jobs that exist already are not added twice.
      await processFetch(page('/page/0'), deps);
      expect(await rt.queues.fetch.getJobCounts('waiting')).toMatchObject({ waiting: 50 });
    } finally {
      await rt.close();
      await site.close();
    }
  });

  it('Redis restarted mid-crawl: workers reconnect and the crawl completes', async () => {
    const site = await startGeneratedSite({ listings: 400, delayMs: 15, leadEvery: 10 });
    const port = await freePort();
    const redisDir = join(dir.path, 'redis-data');
    mkdirSync(redisDir, { recursive: true });
    let redis = await startRedis(port, redisDir);
    const configDir = config('redis-restart', `redis://127.0.0.1:${port}`);
    const rt = await openRuntime(await loadConfig(configDir, { env: {} }));
    const workers = [
      spawnWorker(configDir, ['--concurrency', '4']),
      spawnWorker(configDir, ['--concurrency', '4']),
    ];
    try {
      await Promise.all(workers.map((w) => w.ready));
      const crawl = runCrawl(rt, { sites: [siteFor(site)], workers: null });
      while (site.hits.size < 60) await sleep(20);
      redis.kill('SIGTERM');
      await once(redis, 'exit');
      await sleep(1500);
      redis = await startRedis(port, redisDir);
      const summary = await crawl;
      expect(summary.failed).toBe(0);
      expect(summary).toMatchObject({ state: 'finished', reason: null, interrupted: false });
      await expectComplete(rt, summary.crawlId, site, 10);
      expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
      expect(await crawlRow(rt, summary.crawlId)).toMatchObject({ state: 'finished', reason: null });
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await rt.close();
      redis.kill('SIGKILL');
      await site.close();
    }
  }, 180_000);

  it('Redis restarted WITHOUT persistence mid-crawl: the crawl ends lost, says why, and the store marks it', async () => {
    const site = await startGeneratedSite({ listings: 400, delayMs: 15, leadEvery: 10 });
    const port = await freePort();
    const redisDir = join(dir.path, 'redis-volatile');
    mkdirSync(redisDir, { recursive: true });
    let redis = await startRedis(port, redisDir, false);
    const configDir = config('redis-lost', `redis://127.0.0.1:${port}`);
    const rt = await openRuntime(await loadConfig(configDir, { env: {} }));
    const worker = spawnWorker(configDir, ['--concurrency', '4']);
    try {
      await worker.ready;
      const crawl = runCrawl(rt, { sites: [siteFor(site)], workers: null, progressMs: 100 });
      while (site.hits.size < 60) await sleep(20);
      redis.kill('SIGKILL');
      await once(redis, 'exit');
      await sleep(1500);
      redis = await startRedis(port, redisDir, false);
      const summary = await crawl;
      expect(summary.state).toBe('lost');
      expect(summary.interrupted).toBe(true);
      expect(summary.reason).toMatch(/Redis restarted without persistence.*AOF/);
      expect(summary.pages).toBeLessThan(site.paths.length);
      expect(await crawlRow(rt, summary.crawlId)).toMatchObject({ state: 'lost', reason: summary.reason });
      // Nothing of the lost crawl is left for a worker to pick up, and the worker is alive and well.
      // (a job the worker had in hand when Redis came back is dropped as it runs: wait for that)
      await expect
        .poll(() => rt.queues.pending(), { timeout: 15_000, interval: 100 })
        .toEqual({ fetch: 0, classify: 0, evidence: 0 });
      expect(worker.child.exitCode).toBe(null);
      // The worker reconnects on its own backoff, which may end after the crawl has: wait for it to say so.
      await expect
        .poll(() => worker.log(), { timeout: 20_000, interval: 100 })
        .toMatch(/Redis is back after/);
      // The outage was said once, not once per failed command.
      expect(worker.log().match(/waiting for Redis since/g)).toHaveLength(1);
    } finally {
      worker.child.kill('SIGKILL');
      await rt.close();
      redis.kill('SIGKILL');
      await site.close();
    }
  }, 180_000);

  it('Redis gone for longer than redis.maxOutageMs: the crawl stops with state outage and says what to do', async () => {
    const site = await startGeneratedSite({ listings: 300, delayMs: 15 });
    const port = await freePort();
    const redisDir = join(dir.path, 'redis-gone');
    mkdirSync(redisDir, { recursive: true });
    const redis = await startRedis(port, redisDir, false);
    const cfg = await loadConfig(config('redis-gone', `redis://127.0.0.1:${port}`), { env: {} });
    cfg.runtime.redis.maxOutageMs = 2000;
    const rt = await openRuntime(cfg);
    try {
      const progress: Array<string | null> = [];
      const crawl = runCrawl(rt, {
        sites: [siteFor(site)],
        workers: { fetch: 4, classify: 1 },
        progressMs: 100,
        onProgress: (p) => progress.push(p.waiting),
      });
      while (site.hits.size < 30) await sleep(20);
      // Redis stops answering before it dies, so the crawl has commands in flight when it goes: ioredis
      // keeps those for a reconnect that never comes, and the crawl must not wait on them.
      const pauser = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0 });
      await pauser.call('CLIENT', 'PAUSE', '600000', 'ALL');
      await sleep(500);
      redis.kill('SIGKILL');
      await once(redis, 'exit');
      pauser.disconnect();
      const t0 = Date.now();
      const summary = await crawl;
      expect(Date.now() - t0).toBeLessThan(2000 + cfg.runtime.workers.shutdownGraceMs + 5000);
      expect(summary.state).toBe('outage');
      expect(summary.reason).toMatch(/^Redis did not answer for \d+s \(since .*\): start Redis/);
      expect(summary.pages).toBeGreaterThan(0);
      expect(await crawlRow(rt, summary.crawlId)).toMatchObject({ state: 'outage', reason: summary.reason });
      // Progress said "waiting for Redis since …", one time stamp for the whole outage.
      const waiting = new Set(progress.filter((w) => w !== null));
      expect([...waiting]).toEqual([expect.stringMatching(/^waiting for Redis since \d{4}-/)]);
    } finally {
      redis.kill('SIGKILL');
      await rt.close();
      await site.close();
    }
  }, 120_000);

  it('the store unavailable for a while: jobs wait and retry, nothing is lost', async () => {
    const site = await startGeneratedSite({ listings: 300, delayMs: 10, leadEvery: 10 });
    // Long locks: a worker blocked on the store for seconds must not have its jobs taken over meanwhile.
    const configDir = config('store-down', REDIS_URL, { lockMs: 60_000 });
    const rt = await openRuntime(await loadConfig(configDir, { env: {} }));
    const worker = spawnWorker(configDir, ['--concurrency', '4']);
    const blocker = new SQLite(rt.store.location);
    try {
      await worker.ready;
      const crawl = runCrawl(rt, { sites: [siteFor(site)], workers: null });
      while (site.hits.size < 40) await sleep(10);
      blocker.exec('BEGIN EXCLUSIVE');
      const blockedAt = site.hits.size;
      await sleep(14_000); // longer than the store's busy timeout (10 s): writes fail, jobs must wait
      blocker.exec('COMMIT');
      const summary = await crawl;
      expect(site.hits.size).toBeGreaterThan(blockedAt);
      expect(summary.failed).toBe(0);
      await expectComplete(rt, summary.crawlId, site, 10);
    } finally {
      blocker.close();
      worker.child.kill('SIGKILL');
      await rt.close();
      await site.close();
    }
  }, 180_000);

  it('SIGTERM: the worker stops taking jobs, finishes the ones in hand and exits 0 in bounded time', async () => {
    const site = await startGeneratedSite({ listings: 200, delayMs: 300, leadEvery: 10 });
    const configDir = config('sigterm');
    const rt = await openRuntime(await loadConfig(configDir, { env: {} }));
    const first = spawnWorker(configDir, ['--concurrency', '4']);
    let second: WorkerProcess | undefined;
    try {
      await first.ready;
      const crawl = runCrawl(rt, { sites: [siteFor(site)], workers: null });
      while (site.hits.size < 20) await sleep(20);
      const t0 = Date.now();
      first.child.kill('SIGTERM');
      const code = await first.exited;
      const took = Date.now() - t0;
      expect(code).toBe(0);
      expect(took).toBeLessThan(5000 + 3000); // shutdownGraceMs + closing
      expect(first.log()).toContain('stopping: finishing jobs in hand');
      const servedWhileStopped = site.hits.size;
      await sleep(1000);
      expect(site.hits.size).toBe(servedWhileStopped);
      second = spawnWorker(configDir, ['--concurrency', '8']);
      const summary = await crawl;
      expect(summary.failed).toBe(0);
      await expectComplete(rt, summary.crawlId, site, 10);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await rt.close();
      await site.close();
    }
  }, 180_000);
});
