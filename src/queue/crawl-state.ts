import type { Redis } from 'ioredis';
import type { SiteConfig } from '../config/index.ts';
import { urlKey } from './jobs.ts';

/** Crawl keys expire this long after the crawl's last activity. */
const TTL_SECONDS = 7 * 24 * 3600;

/** Atomically: refuse a URL already seen in this crawl, or one over the site's page budget; else record it. */
const ADMIT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'duplicate' end
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n >= tonumber(ARGV[2]) then return 'max-pages' end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 'ok'`;

export type Admission = 'ok' | 'duplicate' | 'max-pages';

/**
 * Per-crawl state shared by every worker on every machine: the effective site configs (with CLI
 * overrides), the URLs seen, per-site page budgets and live counters.
 */
export class CrawlState {
  private readonly siteCache = new Map<string, SiteConfig>();
  private readonly allCache = new Map<string, SiteConfig[]>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(crawlId: string, part: string): string {
    return `${this.prefix}:crawl:${crawlId}:${part}`;
  }

  async start(crawlId: string, sites: SiteConfig[]): Promise<void> {
    const key = this.key(crawlId, 'sites');
    await this.redis
      .multi()
      .hset(key, Object.fromEntries(sites.map((s) => [s.id, JSON.stringify(s)])))
      .expire(key, TTL_SECONDS)
      .hset(this.key(crawlId, 'meta'), 'startedAt', new Date().toISOString())
      .expire(this.key(crawlId, 'meta'), TTL_SECONDS)
      .exec();
  }

  /** The site config a crawl runs with; cached per process. */
  async site(crawlId: string, siteId: string): Promise<SiteConfig | null> {
    const cacheKey = `${crawlId}\n${siteId}`;
    const cached = this.siteCache.get(cacheKey);
    if (cached) return cached;
    const raw = await this.redis.hget(this.key(crawlId, 'sites'), siteId);
    if (!raw) return null;
    const site = JSON.parse(raw) as SiteConfig;
    this.siteCache.set(cacheKey, site);
    return site;
  }

  /** Every site of a crawl (the crawled ones and the pivot targets). */
  async sites(crawlId: string): Promise<SiteConfig[]> {
    let all = this.allCache.get(crawlId);
    if (!all) {
      const raw = await this.redis.hgetall(this.key(crawlId, 'sites'));
      all = Object.values(raw).map((v) => JSON.parse(v) as SiteConfig);
      this.allCache.set(crawlId, all);
    }
    return all;
  }

  async admit(crawlId: string, siteId: string, url: string, maxPages: number): Promise<Admission> {
    return (await this.redis.eval(
      ADMIT,
      2,
      this.key(crawlId, 'seen'),
      this.key(crawlId, `pages:${siteId}`),
      urlKey(siteId, url),
      String(maxPages),
      String(TTL_SECONDS),
    )) as Admission;
  }

  /** Adds to live counters (`fetched`, `failed`, `leads`, `skipped:<reason>`...). Display only: the store is the record. */
  async count(crawlId: string, counts: Record<string, number>): Promise<void> {
    const key = this.key(crawlId, 'stats');
    const multi = this.redis.multi();
    for (const [name, by] of Object.entries(counts)) if (by) multi.hincrby(key, name, by);
    await multi.expire(key, TTL_SECONDS).exec();
  }

  async stats(crawlId: string): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.key(crawlId, 'stats'));
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
}
