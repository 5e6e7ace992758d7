import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { SpiderwebError } from '../errors.ts';
import { log } from '../log.ts';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** Options BullMQ needs on every connection (workers block; commands must wait for reconnects). */
const bullOptions: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false };

export interface RedisHandle {
  url: string;
  /** A new connection to the same server (BullMQ wants one per Queue/Worker/QueueEvents). */
  connect(): Redis;
  /** True when Spiderweb started this server itself. */
  embedded: boolean;
  /** Stops the embedded server, if any. Connections must be closed first. */
  stop(): Promise<void>;
}

/**
 * Finds Redis: the configured URL if any; else 127.0.0.1:6379 if it answers; else a private
 * `redis-server` child on a free port (kept in memory only) that `stop()` ends. Throws a
 * `SpiderwebError('REDIS_UNAVAILABLE')` saying how to get one when none can be had.
 */
export async function ensureRedis(
  configured: string | null,
  opts: { probe?: string; binary?: string } = {},
): Promise<RedisHandle> {
  if (configured) {
    if (!(await answers(configured))) {
      throw new SpiderwebError('REDIS_UNAVAILABLE', `Redis at ${redact(configured)} does not answer`);
    }
    return handle(configured, null);
  }
  const probe = opts.probe ?? DEFAULT_URL;
  if (await answers(probe)) return handle(probe, null);
  return startEmbedded(opts.binary ?? 'redis-server');
}

function handle(url: string, child: ChildProcess | null): RedisHandle {
  return {
    url,
    embedded: child !== null,
    connect: () => new Redis(url, bullOptions),
    stop: async () => {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * A client for one look at a Redis that may not be there: connects on `connect()`, gives up after 1.5 s,
 * never retries, and reports errors only through the promises it returns. `disconnect()` it when done.
 */
export function probeClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1500,
  });
  client.on('error', () => {});
  return client;
}

async function answers(url: string): Promise<boolean> {
  const client = probeClient(url);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startEmbedded(binary: string): Promise<RedisHandle> {
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const spawnError = await Promise.race([
    once(child, 'error').then(([err]) => err as NodeJS.ErrnoException),
    once(child, 'spawn').then(() => null),
  ]);
  if (spawnError) {
    throw new SpiderwebError(
      'REDIS_UNAVAILABLE',
      spawnError.code === 'ENOENT'
        ? 'no Redis: nothing answers on 127.0.0.1:6379 and there is no redis-server on PATH. ' +
            'Install one (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) ' +
            'or set REDIS_URL=redis://host:6379'
        : `cannot start redis-server: ${spawnError.message}`,
    );
  }
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await answers(url)) {
      log.child({ component: 'redis' }).info({ url }, 'started a private redis-server');
      const stop = () => child.kill('SIGTERM');
      process.once('exit', stop);
      return handle(url, child);
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new SpiderwebError('REDIS_UNAVAILABLE', `redis-server on port ${port} did not start`);
}

/** Hides a password in a Redis URL for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

export interface RedisDurability {
  /** Append-only file on: a restart replays every write. */
  aof: boolean;
  /** RDB snapshots on (`save` not empty): a restart loses the writes since the last snapshot. */
  rdb: boolean;
  /** `noeviction` is the only policy under which BullMQ's keys are never evicted. */
  maxmemoryPolicy: string;
  /** One line each, naming the fix; empty when this Redis keeps a crawl's state through restarts. */
  warnings: string[];
}

/**
 * How well the Redis in use keeps a crawl's state: without AOF a restart loses queued jobs (the crawl
 * ends `lost`), and an eviction policy other than `noeviction` may drop queue keys under memory pressure.
 */
export async function redisDurability(redis: Redis): Promise<RedisDurability> {
  const field = (info: string, name: string) => new RegExp(`^${name}:(\\S*)`, 'm').exec(info)?.[1] ?? '';
  const persistence = await redis.info('persistence');
  const memory = await redis.info('memory');
  const aof = field(persistence, 'aof_enabled') === '1';
  // CONFIG may be refused (managed Redis); then the save setting is unknown and counted as off.
  const save = await redis
    .config('GET', 'save')
    .then((r) => String((r as string[])[1] ?? ''))
    .catch(() => '');
  const rdb = save.trim() !== '';
  const maxmemoryPolicy = field(memory, 'maxmemory_policy') || 'unknown';
  const warnings: string[] = [];
  if (!aof)
    warnings.push(
      `Redis has ${rdb ? 'only RDB snapshots' : 'no persistence'}: a restart loses queued jobs and the crawl ends as lost; ` +
        'turn on AOF (redis.conf: appendonly yes, or CONFIG SET appendonly yes)',
    );
  if (maxmemoryPolicy !== 'noeviction')
    warnings.push(
      `Redis maxmemory-policy is ${maxmemoryPolicy}: it may evict queue keys and lose the crawl; ` +
        'set it to noeviction (redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction)',
    );
  return { aof, rdb, maxmemoryPolicy, warnings };
}
