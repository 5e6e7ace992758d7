import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/queue/index.ts';
import { bin, repoRoot } from './runtime.ts';

export { freePort };

export interface ConfigDirOptions {
  redisUrl: string;
  prefix: string;
  dataDir: string;
  storeUrl?: string;
  lockMs?: number;
  stalledCheckMs?: number;
  shutdownGraceMs?: number;
}

/** Writes a config directory (spiderweb.yaml only: sites come from the crawl, lexicons are the bundled ones). */
export function writeConfigDir(dir: string, o: ConfigDirOptions): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'spiderweb.yaml'),
    [
      `redis: { url: "${o.redisUrl}", prefix: "${o.prefix}" }`,
      `dataDir: "${o.dataDir}"`,
      o.storeUrl ? `store: { url: "${o.storeUrl}" }` : '',
      `workers: { lockMs: ${o.lockMs ?? 2000}, stalledCheckMs: ${o.stalledCheckMs ?? 1000}, shutdownGraceMs: ${o.shutdownGraceMs ?? 5000} }`,
    ].join('\n'),
  );
  return dir;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker logged (JSON lines). */
  log(): string;
  /** Resolves when the worker said it is ready. */
  ready: Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

function shebangWords(file: string): string[] {
  return (readFileSync(file, 'utf8').split('\n', 1)[0] ?? '').split(/\s+/);
}

/** The node flags on a script's `#!/usr/bin/env -S [NAME=VALUE …] node …` line. */
export function shebangFlags(file: string): string[] {
  return shebangWords(file).filter((w) => w.startsWith('--'));
}

/** The environment that line sets (`NAME=VALUE` before `node`): glibc's malloc settings for the bin. */
export function shebangEnv(file: string): Record<string, string> {
  const words = shebangWords(file);
  const pairs = words.slice(0, words.indexOf('node')).flatMap((w) => {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(w);
    return m ? [[m[1]!, m[2]!] as const] : [];
  });
  return Object.fromEntries(pairs);
}

/**
 * Starts `spiderweb worker` as a real child process, with the node flags and environment of the bin's
 * `#!` line (its heap and malloc settings), as `npx spiderweb worker` runs.
 */
export function spawnWorker(
  configDir: string,
  args: string[] = ['--concurrency', '4'],
  /** More node flags (a bench's `--cpu-prof`). */
  nodeFlags: string[] = [],
): WorkerProcess {
  const child = spawn(
    process.execPath,
    [...shebangFlags(bin), ...nodeFlags, bin, '--config', configDir, 'worker', ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...shebangEnv(bin), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let text = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
    if (text.includes('worker ready')) onReady();
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, log: () => text, ready, exited };
}

/** The `/metrics` URL a worker started with `--metrics-port` logged when ready (null without one). */
export function workerMetricsUrl(w: WorkerProcess): string | null {
  const ready = w
    .log()
    .split('\n')
    .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
    .find((l) => l.msg === 'worker ready');
  return ready?.metrics ?? null;
}

/** A private redis-server for restart tests: with persistence (AOF, fsync always) unless `persist` is false. */
export async function startRedis(port: number, dir: string, persist = true): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      persist ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    { stdio: 'ignore' },
  );
  const { Redis } = await import('ioredis');
  for (let i = 0; i < 100; i++) {
    const r = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => {});
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return child;
    } catch {
      // not yet
    } finally {
      r.disconnect();
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`redis-server on ${port} did not start`);
}
