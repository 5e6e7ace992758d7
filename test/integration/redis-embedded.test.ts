import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SpiderwebError } from '../../src/errors.ts';
import { ensureRedis, freePort } from '../../src/queue/index.ts';

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
