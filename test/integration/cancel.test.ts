import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedSite, startGeneratedSite } from '../helpers/generated-site.ts';
import { spawnWorker, type WorkerProcess, writeConfigDir } from '../helpers/processes.ts';
import { bin, dropPrefix, REDIS_URL, repoRoot, runCli, tempDir, testPrefix } from '../helpers/runtime.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every job id of the crawl still in Redis under the prefix, whatever its state. */
async function jobsOf(redis: Redis, prefix: string, crawlId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*:*${crawlId}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  // Job hashes are <prefix>:<queue>:<job id>; crawl state keys are <prefix>:crawl:<id>:...
  return keys.filter((k) => !k.startsWith(`${prefix}:crawl:`));
}

function startCrawl(configDir: string, url: string, extra: string[] = []) {
  return spawn(
    process.execPath,
    [
      bin,
      '--config',
      configDir,
      'crawl',
      '--workers',
      '0',
      '--seed',
      url,
      '--allow-private-network',
      '--max-rps',
      '50',
      ...extra,
    ],
    { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

async function crawlRows(
  configDir: string,
): Promise<Array<{ id: string; state: string; reason: string | null }>> {
  const listed = await runCli(['--config', configDir, 'crawls', '--json']);
  expect(listed.code, listed.stderr).toBe(0);
  return listed.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; state: string; reason: string | null });
}

describe('cancel means cancel', () => {
  let dir: ReturnType<typeof tempDir>;
  let site: GeneratedSite;
  let redis: Redis;
  const prefix = testPrefix();

  beforeAll(async () => {
    dir = tempDir();
    site = await startGeneratedSite({ listings: 600, delayMs: 20 });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await site?.close();
    await dropPrefix(prefix);
    dir?.remove();
  });

  it('SIGINT on `crawl --workers 0`: an external worker sends no request after the cancel mark, Redis keeps no job of it', async () => {
    const configDir = writeConfigDir(join(dir.path, 'sigint'), {
      redisUrl: REDIS_URL,
      prefix,
      dataDir: join(dir.path, 'sigint', 'data'),
    });
    const worker: WorkerProcess = spawnWorker(configDir, ['--concurrency', '4']);
    try {
      await worker.ready;
      const crawl = startCrawl(configDir, site.url);
      const exited = once(crawl, 'exit');
      let stdout = '';
      crawl.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      while (site.requests.length < 40) await sleep(20);
      crawl.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(1);
      const crawlId = /crawl (\S+) \(interrupted\)/.exec(stdout)?.[1] ?? '';
      expect(crawlId, stdout).not.toBe('');
      expect(stdout).toMatch(/cancelled +\d+ queued jobs removed/);

      const cancelledAt = Date.parse(
        (await redis.hget(`${prefix}:crawl:${crawlId}:meta`, 'cancelledAt')) ?? '',
      );
      expect(cancelledAt).toBeGreaterThan(0);
      const servedAtExit = site.requests.length;
      await sleep(1500);
      expect(site.requests.length).toBe(servedAtExit);
      // A request already on the wire when the mark landed may arrive a moment after it; none later.
      expect(site.requests.filter((r) => r.at > cancelledAt + 50)).toEqual([]);
      expect(site.requests.length).toBeLessThan(site.paths.length);
      expect(await jobsOf(redis, prefix, crawlId)).toEqual([]);
      expect(worker.child.exitCode).toBe(null);

      const row = (await crawlRows(configDir)).find((r) => r.id === crawlId);
      expect(row).toMatchObject({ state: 'interrupted' });
      expect(row?.reason).toMatch(/SIGINT/);
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 120_000);

  it('`crawl --cancel ID` from another shell: the crawl ends cancelled, its workers stop, `crawls` says so', async () => {
    const configDir = writeConfigDir(join(dir.path, 'cancel'), {
      redisUrl: REDIS_URL,
      prefix: `${prefix}-b`,
      dataDir: join(dir.path, 'cancel', 'data'),
    });
    const worker: WorkerProcess = spawnWorker(configDir, ['--concurrency', '4']);
    try {
      await worker.ready;
      const before = site.requests.length;
      const crawl = startCrawl(configDir, site.url, ['--json']);
      const exited = once(crawl, 'exit');
      let stdout = '';
      crawl.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      while (site.requests.length < before + 40) await sleep(20);
      const running = (await crawlRows(configDir)).find((r) => r.state === 'running');
      expect(running).toBeDefined();
      const cancel = await runCli(['--config', configDir, 'crawl', '--cancel', running?.id ?? '']);
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toMatch(new RegExp(`crawl ${running?.id} cancelled: removed \\d+ fetch`));
      const [code] = (await exited) as [number | null];
      expect(code).toBe(1);
      const summary = JSON.parse(stdout) as { state: string; reason: string; cancelled: { fetch: number } };
      expect(summary).toMatchObject({ state: 'cancelled', reason: 'cancelled with crawl --cancel' });
      const served = site.requests.length;
      await sleep(1000);
      expect(site.requests.length).toBe(served);
      expect(await jobsOf(redis, `${prefix}-b`, running?.id ?? '')).toEqual([]);
      expect((await crawlRows(configDir)).find((r) => r.id === running?.id)).toMatchObject({
        state: 'cancelled',
        reason: 'cancelled with crawl --cancel',
      });
      // Cancelling what is not running says so.
      const again = await runCli(['--config', configDir, 'crawl', '--cancel', 'no-such-crawl']);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('no running crawl no-such-crawl');
    } finally {
      worker.child.kill('SIGKILL');
      await dropPrefix(`${prefix}-b`);
    }
  }, 120_000);
});
