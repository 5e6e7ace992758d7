import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, siteSchema } from '../../src/config/index.ts';
import { openRuntime, runCrawl } from '../../src/runtime/index.ts';
import { type GeneratedSite, startGeneratedSite } from '../helpers/generated-site.ts';
import { bin, dropPrefix, REDIS_URL, repoRoot, tempDir, testPrefix } from '../helpers/runtime.ts';

function startWorker(configDir: string): ChildProcess {
  return spawn(process.execPath, [bin, '--config', configDir, 'worker', '--concurrency', '4'], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

describe('a worker process killed mid-crawl', () => {
  let site: GeneratedSite;
  let dir: ReturnType<typeof tempDir>;
  const prefix = testPrefix();

  beforeAll(async () => {
    site = await startGeneratedSite({ listings: 120, delayMs: 40 });
    dir = tempDir();
    writeFileSync(
      join(dir.path, 'spiderweb.yaml'),
      [
        `redis: { url: "${REDIS_URL}", prefix: "${prefix}" }`,
        `dataDir: "${join(dir.path, 'data')}"`,
        'workers: { lockMs: 2000, stalledCheckMs: 1000, shutdownGraceMs: 5000 }',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await site?.close();
    await dropPrefix(prefix);
    dir?.remove();
  });

  it('loses no page: a new worker finishes the crawl', { timeout: 180_000 }, async () => {
    const config = await loadConfig(dir.path, { env: {} });
    const rt = await openRuntime(config);
    const first = startWorker(dir.path);
    let second: ChildProcess | undefined;
    try {
      const crawl = runCrawl(rt, {
        sites: [
          siteSchema.parse({
            id: 'gen',
            seeds: [site.url],
            allowPrivateNetwork: true,
            maxPages: 1000,
            politeness: { maxRps: 500, maxConcurrent: 8 },
          }),
        ],
        workers: null,
        progressMs: 100,
        onProgress: (p) => process.env.DEBUG_KILL && console.log(JSON.stringify(p)),
      });
      // Kill the first worker while it holds jobs, then start a replacement.
      while ([...site.hits.values()].reduce((a, b) => a + b, 0) < 30)
        await new Promise((r) => setTimeout(r, 20));
      first.kill('SIGKILL');
      await once(first, 'exit');
      const servedBeforeKill = site.hits.size;
      expect(servedBeforeKill).toBeLessThan(site.paths.length);
      second = startWorker(dir.path);
      const summary = await crawl;

      expect(summary.failed).toBe(0);
      const pages = await rt.store.db
        .selectFrom('pages')
        .select(['url', 'state'])
        .where('crawl_id', '=', summary.crawlId)
        .execute();
      const got = pages.map((p) => new URL(p.url).pathname).sort();
      expect(got).toEqual([...site.paths].sort());
      expect(pages.every((p) => p.state === 'fetched')).toBe(true);
    } finally {
      first.kill('SIGKILL');
      if (second) {
        second.kill('SIGTERM');
        const [code] = (await once(second, 'exit')) as [number | null];
        expect(code).toBe(0);
      }
      await rt.close();
    }
  });
});
