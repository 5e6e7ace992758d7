import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { type Config, loadConfig, type RuntimeConfig } from '../../src/config/index.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const repoRoot = resolve(import.meta.dirname, '../..');
export const bin = join(repoRoot, 'bin/spiderweb.js');

/** A unique Redis key prefix per test, so tests never see each other's queues. */
export function testPrefix(): string {
  return `spwtest-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under a prefix (queues and crawl state). */
export async function dropPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/**
 * A temp directory. `remove` retries a few times: a process killed just before may have left a child
 * still writing there (redis-server's AOF rewrite is a fork that outlives a SIGKILLed server).
 */
export function tempDir(name = 'spiderweb-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), name));
  return {
    path,
    remove: () => rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }),
  };
}

/** The bundled config with a private Redis prefix and data dir, and short locks so dead workers' jobs return fast. */
export async function testConfig(
  dataDir: string,
  overrides: Partial<RuntimeConfig['workers']> = {},
): Promise<Config> {
  const config = await loadConfig(join(repoRoot, 'config'), { env: {} });
  config.runtime.redis.url = REDIS_URL;
  config.runtime.redis.prefix = testPrefix();
  config.runtime.dataDir = dataDir;
  config.runtime.store.url = null;
  config.runtime.workers = {
    ...config.runtime.workers,
    lockMs: 2000,
    stalledCheckMs: 1000,
    shutdownGraceMs: 5000,
    ...overrides,
  };
  return config;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI (`bin/spiderweb.js`) as a child process: through `node`, or with `asFile` the file
 * itself, as `npx spiderweb` does, so its `#!` line applies. An `env` value of undefined removes it.
 */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; asFile?: boolean } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      opts.asFile ? bin : process.execPath,
      opts.asFile ? args : [bin, ...args],
      {
        cwd: opts.cwd ?? repoRoot,
        env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
