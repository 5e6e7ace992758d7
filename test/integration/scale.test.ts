import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, type SiteConfig, siteSchema } from '../../src/config/index.ts';
import { openRuntime, runCrawl, type Runtime } from '../../src/runtime/index.ts';
import { type TestDb, testDb } from '../helpers/db.ts';
import { type GeneratedSite, startGeneratedSite } from '../helpers/generated-site.ts';
import { spawnWorker, type WorkerProcess, writeConfigDir } from '../helpers/processes.ts';
import { dropPrefix, REDIS_URL, tempDir, testPrefix } from '../helpers/runtime.ts';
import { needsPostgres as needs } from '../helpers/requirements.ts';
import { storeDb } from '../../src/leads/store.ts';

/** One scheduler and three worker processes on one Redis and one PostgreSQL, against a single-process crawl. */
needs('many workers on one Redis and one PostgreSQL', () => {
  let site: GeneratedSite;
  let dir: ReturnType<typeof tempDir>;
  const dbs: TestDb[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    site = await startGeneratedSite({ listings: 1960, leadEvery: 10 });
    dir = tempDir();
  });

  afterAll(async () => {
    await site?.close();
    for (const p of prefixes) await dropPrefix(p);
    for (const db of dbs) await db.drop();
    dir?.remove();
  });

  const siteConfig = (): SiteConfig =>
    siteSchema.parse({
      id: 'gen',
      seeds: [site.url],
      allowPrivateNetwork: true,
      maxPages: 5000,
      robots: 'ignore',
      politeness: { maxRps: 1000, maxConcurrent: 48 },
      evidence: { screenshots: false },
    });

  async function setup(name: string): Promise<{ configDir: string; rt: Runtime }> {
    const db = await testDb('postgres');
    dbs.push(db);
    const prefix = testPrefix();
    prefixes.push(prefix);
    const configDir = writeConfigDir(join(dir.path, name), {
      redisUrl: REDIS_URL,
      prefix,
      dataDir: join(dir.path, name, 'data'),
      storeUrl: db.url,
    });
    return { configDir, rt: await openRuntime(await loadConfig(configDir, { env: {} })) };
  }

  const leadSet = async (rt: Runtime) =>
    (await rt.store.leads())
      .map((l) => `${new URL(l.url).pathname} ${l.kind} ${l.category} ${l.substances}`)
      .sort();

  it('fetches every one of 2,000 pages exactly once, and finds the same leads as one process', async () => {
    const single = await setup('single');
    let expected: string[];
    try {
      const summary = await runCrawl(single.rt, {
        sites: [siteConfig()],
        workers: { fetch: 16, classify: 4 },
      });
      expect(summary.pages).toBe(site.paths.length);
      expected = await leadSet(single.rt);
      expect(expected).toHaveLength(196);
    } finally {
      await single.rt.close();
    }

    const multi = await setup('multi');
    const workers: WorkerProcess[] = [];
    try {
      site.hits.clear();
      for (let i = 0; i < 3; i++) workers.push(spawnWorker(multi.configDir, ['--concurrency', '8']));
      await Promise.all(workers.map((w) => w.ready));
      const summary = await runCrawl(multi.rt, { sites: [siteConfig()], workers: null });
      expect(summary.pages).toBe(site.paths.length);
      expect(summary.failed).toBe(0);
      const twice = site.paths.filter((p) => site.hits.get(p) !== 1);
      expect(twice).toEqual([]);
      expect(await leadSet(multi.rt)).toEqual(expected);
      const rows = await storeDb(multi.rt.store).selectFrom('pages').select(['url', 'fetch_count']).execute();
      expect(rows).toHaveLength(site.paths.length);
      expect(rows.every((r) => r.fetch_count === 1)).toBe(true);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      const codes = await Promise.all(workers.map((w) => w.exited));
      await multi.rt.close();
      expect(codes).toEqual([0, 0, 0]);
    }
  }, 300_000);
});
