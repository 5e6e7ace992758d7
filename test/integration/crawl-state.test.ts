/**
 * The per-crawl state in a real Redis: admission (seen-set, page budget, pattern cap) through the
 * cached script, and live counters summed in memory and written in batches.
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/index.ts';
import { CrawlState } from '../../src/queue/index.ts';
import { dropPrefix, REDIS_URL, testPrefix } from '../helpers/runtime.ts';

let redis: Redis;
let prefix: string;

beforeEach(() => {
  redis = new Redis(REDIS_URL);
  prefix = testPrefix();
});

afterEach(async () => {
  redis.disconnect();
  await dropPrefix(prefix);
});

const urls = (...xs: string[]) => xs.map((url) => ({ url, pattern: url.replace(/\d+/g, 'N') }));
const statuses = (rs: Array<{ admission: string }>) => rs.map((r) => r.admission);

describe('CrawlState', () => {
  it('admits each URL once, within the page budget and the per-pattern cap', async () => {
    const state = new CrawlState(redis, prefix);
    expect(
      statuses(
        await state.admitMany('c1', 's', urls('http://a/1', 'http://a/1', 'http://a/x'), 10, 100, 'p1'),
      ),
    ).toEqual(['ok', 'ok', 'ok']);
    // The pattern http://a/N has had 1 of 2; the budget has 10 - 2 = 8 left.
    expect(
      await state.admitMany('c1', 's', urls('http://a/2', 'http://a/3', 'http://a/x'), 10, 2, 'p2'),
    ).toEqual([
      { admission: 'ok', owner: 'p2' },
      { admission: 'trap-pattern', owner: null },
      { admission: 'duplicate', owner: 'p1' },
    ]);
    expect(
      statuses(await state.admitMany('c1', 's', urls('http://b/y', 'http://b/z'), 4, 100, 'p3')),
    ).toEqual(['ok', 'max-pages']);
    // Another crawl has its own seen-set.
    expect(await state.admit('c2', 's', 'http://a/1', 10, 'seed')).toBe('ok');
  });

  it('gives a retried job its own URLs again, uncounted, and nobody else', async () => {
    const state = new CrawlState(redis, prefix);
    const links = urls('http://a/1', 'http://a/2', 'http://a/3');
    expect(statuses(await state.admitMany('c1', 's', links, 4, 100, 'parent'))).toEqual(['ok', 'ok', 'ok']);
    // The job died before enqueueing them; its retry asks again and gets all three.
    expect(statuses(await state.admitMany('c1', 's', links, 4, 100, 'parent'))).toEqual(['ok', 'ok', 'ok']);
    // Another page linking to them does not, and the retry took nothing from the budget of 4.
    expect(
      statuses(
        await state.admitMany('c1', 's', urls('http://a/1', 'http://a/4', 'http://a/5'), 4, 100, 'other'),
      ),
    ).toEqual(['duplicate', 'ok', 'max-pages']);
  });

  it('counts a refetch whose earlier attempt finished between this one beginning and its request', async () => {
    const state = new CrawlState(redis, prefix);
    await state.start('c3', [siteSchema.parse({ id: 's', seeds: ['http://a/'] })]);
    const url = 'http://a/1';
    // A sends its request; a second worker gets the stalled job and begins while A is still at it.
    expect(await state.beginFetch('c3', url)).toEqual({ prior: false });
    await state.intendFetch('c3', url);
    const { prior } = await state.beginFetch('c3', url);
    expect(prior).toBe(true);
    // A stores the page and clears its intent before B's request: B's request is still a refetch.
    await state.endFetch('c3', url);
    await state.intendFetch('c3', url, prior);
    expect((await state.stats('c3')).refetched).toBe(1);
    // A first attempt is never counted.
    await state.intendFetch('c3', 'http://a/2');
    expect((await state.stats('c3')).refetched).toBe(1);
  });

  it('lets a fetch begin only while its crawl runs: cancelled and lost crawls end the job', async () => {
    const state = new CrawlState(redis, prefix);
    await state.start('c4', [siteSchema.parse({ id: 's', seeds: ['http://a/'] })]);
    await redis.script('FLUSH'); // the script is sent again when the server has forgotten it
    expect(await state.beginFetch('c4', 'http://a/1')).toEqual({ prior: false });
    expect(await state.cancel('c4')).toBe(true);
    await expect(state.beginFetch('c4', 'http://a/1')).rejects.toThrow(/cancelled/);
    await state.start('c5', [siteSchema.parse({ id: 's', seeds: ['http://a/'] })]);
    await redis.del(`${prefix}:crawl:c5:meta`);
    await expect(state.beginFetch('c5', 'http://a/1')).rejects.toThrow(/lost/);
    await expect(state.beginFetch('never-started', 'http://a/1')).rejects.toThrow(/lost/);
  });

  it('still admits after the server dropped its script cache (EVALSHA falls back to EVAL)', async () => {
    const state = new CrawlState(redis, prefix);
    expect(await state.admit('c1', 's', 'http://a/1', 10, 'seed')).toBe('ok');
    await redis.script('FLUSH');
    expect(await state.admit('c1', 's', 'http://a/2', 10, 'seed')).toBe('ok');
    expect(await state.admit('c1', 's', 'http://a/2', 10, 'page:1')).toBe('duplicate');
  });

  it('sums counts in memory, writes them in one batch, and shows them to every process', async () => {
    const a = new CrawlState(redis, prefix);
    const other = new Redis(REDIS_URL);
    try {
      const b = new CrawlState(other, prefix);
      for (let i = 0; i < 50; i++) a.count('c1', { fetched: 1, 'skipped:max-depth': 2, zero: 0 });
      a.count('c2', { fetched: 7 });
      // Not written yet: another process sees nothing until the batch goes out.
      expect(await b.stats('c1')).toEqual({});
      await a.flush();
      expect(await b.stats('c1')).toEqual({ fetched: 50, 'skipped:max-depth': 100 });
      expect(await b.stats('c2')).toEqual({ fetched: 7 });
      // Left alone, a batch goes out on its own within a moment.
      a.count('c1', { fetched: 1 });
      await expect.poll(() => b.stats('c1'), { timeout: 2000 }).toMatchObject({ fetched: 51 });
      // A process's own stats include what it has not written yet.
      a.count('c1', { leads: 3 });
      expect(await a.stats('c1')).toMatchObject({ fetched: 51, leads: 3 });
    } finally {
      other.disconnect();
    }
  });

  it('keeps counts that could not be written for the next flush', async () => {
    const broken = new Redis(REDIS_URL, { enableOfflineQueue: false });
    const state = new CrawlState(broken, prefix);
    await once(broken, 'ready');
    broken.disconnect();
    await once(broken, 'end');
    state.count('c1', { fetched: 2 });
    await expect(state.flush()).rejects.toThrow();
    await broken.connect();
    try {
      await state.flush();
      expect(await new CrawlState(redis, prefix).stats('c1')).toEqual({ fetched: 2 });
    } finally {
      broken.disconnect();
    }
  });
});
