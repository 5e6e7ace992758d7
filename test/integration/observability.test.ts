import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, siteSchema } from '../../src/config/index.ts';
import { openRuntime, runCrawl } from '../../src/runtime/index.ts';
import { type GeneratedSite, startGeneratedSite } from '../helpers/generated-site.ts';
import { spawnWorker, type WorkerProcess, workerMetricsUrl, writeConfigDir } from '../helpers/processes.ts';
import { dropPrefix, REDIS_URL, tempDir, testPrefix } from '../helpers/runtime.ts';

describe('a worker process serves /metrics and /healthz', () => {
  let site: GeneratedSite;
  let dir: ReturnType<typeof tempDir>;
  let worker: WorkerProcess;
  const prefix = testPrefix();

  beforeAll(async () => {
    site = await startGeneratedSite({ listings: 30, leadEvery: 5 });
    dir = tempDir();
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await site?.close();
    await dropPrefix(prefix);
    dir?.remove();
  });

  it('counts pages, leads and timings, and reports queues, breakers and the lexicon version', async () => {
    const configDir = writeConfigDir(join(dir.path, 'config'), {
      redisUrl: REDIS_URL,
      prefix,
      dataDir: join(dir.path, 'data'),
    });
    worker = spawnWorker(configDir, ['--concurrency', '4', '--metrics-port', '0']);
    await worker.ready;
    const base = new URL('.', workerMetricsUrl(worker)!).href;
    expect((await fetch(`${base}healthz`)).status).toBe(200);

    const rt = await openRuntime(await loadConfig(configDir, { env: {} }));
    try {
      const summary = await runCrawl(rt, {
        sites: [
          siteSchema.parse({
            id: 'gen',
            seeds: [site.url],
            allowPrivateNetwork: true,
            robots: 'ignore',
            politeness: { maxRps: 500, maxConcurrent: 8 },
            evidence: { screenshots: false },
          }),
        ],
        workers: null,
      });
      const text = await (await fetch(`${base}metrics`)).text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1]);
      expect(value(/^spiderweb_pages_total\{site="gen",outcome="fetched"\} (\d+)$/m)).toBe(summary.pages);
      expect(value(/^spiderweb_leads_created_total\{category="nps",kind="sale"\} (\d+)$/m)).toBe(6);
      expect(value(/^spiderweb_fetch_seconds_count\{site="gen"\} (\d+)$/m)).toBe(summary.pages);
      expect(value(/^spiderweb_classify_seconds_count (\d+)$/m)).toBe(summary.pages);
      expect(text).toMatch(/^spiderweb_queue_jobs\{queue="fetch",state="waiting"\} 0$/m);
      expect(text).toMatch(
        new RegExp(`^spiderweb_lexicon_info\\{version="${rt.lexiconStatus().version}",error="0"\\} 1$`, 'm'),
      );
      expect(text).toMatch(/^spiderweb_breaker_state\{host="127\.0\.0\.1:\d+"\} 0$/m);
      // The crawl's row in the store, by state (a lost or cancelled crawl shows here too).
      expect(text).toMatch(/^spiderweb_crawls\{state="finished"\} 1$/m);
      // Group commit: every page's write went through it, in fewer transactions than writes.
      const commits = value(/^spiderweb_sqlite_commits_total (\d+)$/m);
      expect(commits).toBeGreaterThan(0);
      expect(value(/^spiderweb_sqlite_writes_total (\d+)$/m)).toBeGreaterThanOrEqual(
        Math.max(commits, summary.pages),
      );
      expect(text).toMatch(/^spiderweb_sqlite_busy_waits_total \d+$/m);
      expect(text).toMatch(/^spiderweb_process_\w*resident_memory_bytes \d+/m);
    } finally {
      await rt.close();
    }
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
