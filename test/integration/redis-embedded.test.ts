import { once } from 'node:events';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SpiderwebError } from '../../src/errors.ts';
import { ensureRedis, freePort, redisDurability } from '../../src/queue/index.ts';
import { startRedis } from '../helpers/processes.ts';
import { tempDir } from '../helpers/runtime.ts';

describe('Redis when none is configured', () => {
  it('uses the one answering on the default address', async () => {
    const handle = await ensureRedis(null);
    expect(handle.embedded).toBe(false);
    expect(handle.url).toBe('redis://127.0.0.1:6379');
  });

  it('starts a private redis-server when nothing answers, and stops it on stop()', async () => {
    const nothing = `redis://127.0.0.1:${await freePort()}`;
    const handle = await ensureRedis(null, { probe: nothing });
    expect(handle.embedded).toBe(true);
    expect(handle.url).not.toBe(nothing);
    const conn = handle.connect();
    expect(await conn.ping()).toBe('PONG');
    conn.disconnect();
    await handle.stop();
    const after = new Redis(handle.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    after.on('error', () => {});
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });

  it('says how to get one when there is no redis-server binary either', async () => {
    const nothing = `redis://127.0.0.1:${await freePort()}`;
    const err = await ensureRedis(null, { probe: nothing, binary: 'redis-server-not-installed' }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(SpiderwebError);
    expect(err.code).toBe('REDIS_UNAVAILABLE');
    expect(err.message).toContain('apt-get install -y redis-server');
    expect(err.message).toContain('REDIS_URL');
  });

  it('a configured Redis that does not answer is an error, not a silent fallback', async () => {
    const err = await ensureRedis(`redis://127.0.0.1:${await freePort()}`).catch((e) => e);
    expect(err.code).toBe('REDIS_UNAVAILABLE');
  });
});

describe('redisDurability', () => {
  it('tells a Redis that keeps a crawl through restarts from one that does not, naming the fix', async () => {
    const dir = tempDir();
    const port = await freePort();
    const server = await startRedis(port, dir.path, false);
    const redis = new Redis(port, '127.0.0.1');
    try {
      const volatile = await redisDurability(redis);
      expect(volatile).toMatchObject({ aof: false, rdb: false, maxmemoryPolicy: 'noeviction' });
      expect(volatile.warnings).toEqual([expect.stringMatching(/no persistence.*appendonly yes/)]);

      await redis.config('SET', 'appendonly', 'yes');
      await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const evicting = await redisDurability(redis);
      expect(evicting).toMatchObject({ aof: true, maxmemoryPolicy: 'allkeys-lru' });
      expect(evicting.warnings).toEqual([expect.stringMatching(/allkeys-lru.*maxmemory-policy noeviction/)]);

      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      expect((await redisDurability(redis)).warnings).toEqual([]);
    } finally {
      // `appendonly yes` started an AOF rewrite in a forked child, which a SIGKILL of the server leaves
      // writing into `dir` while it is removed; turning AOF off ends the child first.
      await redis.config('SET', 'appendonly', 'no').catch(() => {});
      redis.disconnect();
      server.kill('SIGKILL');
      await once(server, 'exit');
      dir.remove();
    }
  });
});
