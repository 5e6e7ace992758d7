import type { Redis } from 'ioredis';
import type { SiteConfig } from '../config/index.ts';
import { CrawlEndedError } from '../errors.ts';
import { urlKey } from './jobs.ts';

/** Crawl keys expire this long after the crawl's last activity. */
const TTL_SECONDS = 7 * 24 * 3600;

/** Counters are added up in memory and written at most this often (and on `flush`). */
const COUNT_FLUSH_MS = 100;

/** Links remembered per process as settled (see `CrawlState.settled`); the oldest are forgotten past this. */
const SETTLED_LINKS = 10_000; // about 4 MB

/**
 * Atomically, for a batch of URLs of one site: refuse those already seen in this crawl, those over the
 * site's page budget, and those whose URL pattern has had its share; record the rest with the job that
 * admitted them (the owner). A URL seen before is admitted again, uncounted, to the same owner: a job
 * killed between admitting its links and enqueueing them re-enqueues them when it is retried (the
 * deterministic job ids make that a no-op where the first enqueue got through).
 * KEYS: seen hash (url key → owner), site page counter, pattern counter hash. ARGV: maxPages,
 * maxPerPattern, ttl, owner, then (url key, pattern key) pairs. Returns one {status, owner} per URL (the
 * owner of a URL admitted now or before; '' for a refused one).
 */
const ADMIT = `
local maxPages = tonumber(ARGV[1])
local maxPerPattern = tonumber(ARGV[2])
local owner = ARGV[4]
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
local out = {}
for i = 5, #ARGV, 2 do
  local url, pattern = ARGV[i], ARGV[i + 1]
  local seenBy = redis.call('HGET', KEYS[1], url)
  if seenBy then
    out[#out + 1] = { seenBy == owner and 'ok' or 'duplicate', seenBy }
  elseif n >= maxPages then
    out[#out + 1] = { 'max-pages', '' }
  elseif tonumber(redis.call('HGET', KEYS[3], pattern) or '0') >= maxPerPattern then
    out[#out + 1] = { 'trap-pattern', '' }
  else
    redis.call('HSET', KEYS[1], url, owner)
    redis.call('HINCRBY', KEYS[3], pattern, 1)
    n = n + 1
    out[#out + 1] = { 'ok', owner }
  end
end
redis.call('SET', KEYS[2], n, 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return out`;

/** Cancels a crawl whose state exists (1); a crawl whose keys are gone cannot be cancelled (0). */
const CANCEL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'cancelledAt', ARGV[1])
return 1`;

/**
 * A fetch job's first look (KEYS: meta, fetching; ARGV: url): the crawl's state and startedAt, and 1 when
 * an intent to fetch the URL is recorded. One script instead of a MULTI of two reads: a third of the
 * client's CPU for the call (ioredis builds a pipeline for every MULTI).
 */
const BEGIN = `
local meta = redis.call('HMGET', KEYS[1], 'state', 'startedAt')
return {meta[1], meta[2], redis.call('HEXISTS', KEYS[2], ARGV[1])}`;

/**
 * Records the intent to fetch a URL (KEYS: meta, fetching, stats; ARGV: url, now, ttl, prior) and returns
 * the crawl's state and startedAt. An intent already there means an earlier attempt sent this request and
 * never finished (its worker died, or BullMQ gave its stalled job to another worker): `refetched` is
 * counted in the same step, so neither a kill nor a second worker can send a request uncounted. `prior`
 * ('1') says there was one when this attempt began: the earlier attempt may have finished since (its
 * intent cleared) while this one found no page yet, and its request is a refetch all the same.
 */
const INTEND = `
local meta = redis.call('HMGET', KEYS[1], 'state', 'startedAt')
if meta[1] == 'cancelled' or (not meta[1] and not meta[2]) then return meta end
if redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) == 0 or ARGV[4] == '1' then redis.call('HINCRBY', KEYS[3], 'refetched', 1) end
redis.call('EXPIRE', KEYS[2], ARGV[3])
return meta`;

/**
 * A crawl as Redis knows it: `running`; `cancelled` (marked by `crawl --cancel` or Ctrl-C: workers drop
 * its jobs); `lost` (its keys are gone: Redis restarted without persistence, was flushed or evicted).
 */
export type CrawlLiveState = 'running' | 'cancelled' | 'lost';

export type Admission = 'ok' | 'duplicate' | 'max-pages' | 'trap-pattern';

/** One URL's admission, and the job that owns it (admitted it, now or before); null when refused. */
export interface AdmitResult {
  admission: Admission;
  owner: string | null;
}

type BeginCommand = (
  meta: string,
  fetching: string,
  url: string,
) => Promise<[string | null, string | null, number]>;

type IntendCommand = (
  meta: string,
  fetching: string,
  stats: string,
  url: string,
  now: string,
  ttl: string,
  prior: string,
) => Promise<Array<string | null>>;

type AdmitCommand = (
  seen: string,
  pages: string,
  patterns: string,
  ...args: string[]
) => Promise<Array<[Admission, string]>>;

/**
 * Per-crawl state shared by every worker on every machine: the effective site configs (with CLI
 * overrides), the URLs seen, per-site page budgets and live counters.
 */
export class CrawlState {
  private readonly siteCache = new Map<string, SiteConfig>();
  private readonly allCache = new Map<string, SiteConfig[]>();
  /** Counts not yet written, by crawl. */
  private pending = new Map<string, Map<string, number>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly settledLinks = new Map<string, string>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    // EVALSHA once a script is cached on the server (ioredis falls back to EVAL when it is not): EVAL
    // sends the whole script and makes Redis hash it, once per page for each of these.
    if (!('spiderwebAdmit' in redis)) redis.defineCommand('spiderwebAdmit', { numberOfKeys: 3, lua: ADMIT });
    if (!('spiderwebIntend' in redis))
      redis.defineCommand('spiderwebIntend', { numberOfKeys: 3, lua: INTEND });
    if (!('spiderwebBegin' in redis)) redis.defineCommand('spiderwebBegin', { numberOfKeys: 2, lua: BEGIN });
  }

  private key(crawlId: string, part: string): string {
    return `${this.prefix}:crawl:${crawlId}:${part}`;
  }

  /**
   * Records a crawl: its sites and its `meta` hash, the sentinel whose absence means the crawl's state
   * was lost. Returns the Redis server's `run_id` (it changes when the server restarts).
   */
  async start(crawlId: string, sites: SiteConfig[]): Promise<string> {
    const key = this.key(crawlId, 'sites');
    const runId = await redisRunId(this.redis);
    await this.redis
      .multi()
      .hset(key, Object.fromEntries(sites.map((s) => [s.id, JSON.stringify(s)])))
      .expire(key, TTL_SECONDS)
      .hset(
        this.key(crawlId, 'meta'),
        'startedAt',
        new Date().toISOString(),
        'state',
        'running',
        'runId',
        runId,
      )
      .expire(this.key(crawlId, 'meta'), TTL_SECONDS)
      .exec();
    return runId;
  }

  /** Keeps a long crawl's keys from expiring (the scheduler calls it while it waits). */
  async touch(crawlId: string): Promise<void> {
    const multi = this.redis.multi();
    for (const part of ['meta', 'sites', 'seen', 'stats']) multi.expire(this.key(crawlId, part), TTL_SECONDS);
    await multi.exec();
  }

  /** Whether a crawl is running, cancelled, or lost (no `meta` sentinel); see `CrawlLiveState`. */
  async liveState(crawlId: string): Promise<CrawlLiveState> {
    const [state, startedAt] = await this.redis.hmget(this.key(crawlId, 'meta'), 'state', 'startedAt');
    if (state === 'cancelled') return 'cancelled';
    return state || startedAt ? 'running' : 'lost';
  }

  /** Throws `CrawlEndedError` unless the crawl is running: a worker calls it before it does a job's work. */
  async assertRunning(crawlId: string): Promise<void> {
    const meta = await this.redis.hmget(this.key(crawlId, 'meta'), 'state', 'startedAt');
    this.throwUnlessRunning(crawlId, meta);
  }

  /**
   * Before a fetch job's work: throws `CrawlEndedError` unless the crawl runs, and says whether an
   * earlier attempt at this URL sent its request and never finished (its worker died): the page may be
   * stored already, or this attempt is a refetch.
   */
  async beginFetch(crawlId: string, url: string): Promise<{ prior: boolean }> {
    const begin = (this.redis as unknown as { spiderwebBegin: BeginCommand }).spiderwebBegin;
    const [state, startedAt, prior] = await begin.call(
      this.redis,
      this.key(crawlId, 'meta'),
      this.key(crawlId, 'fetching'),
      url,
    );
    this.throwUnlessRunning(crawlId, [state, startedAt]);
    return { prior: prior === 1 };
  }

  /**
   * Right before a fetch's request: throws `CrawlEndedError` unless the crawl runs (no request after a
   * cancel), and records the intent to fetch `url` until `endFetch`, so a retry after a crash knows; an
   * intent already there, or one there when this attempt began (`prior`), is counted as `refetched`
   * (see `INTEND`).
   */
  async intendFetch(crawlId: string, url: string, prior = false): Promise<void> {
    const intend = (this.redis as unknown as { spiderwebIntend: IntendCommand }).spiderwebIntend;
    const meta = await intend.call(
      this.redis,
      this.key(crawlId, 'meta'),
      this.key(crawlId, 'fetching'),
      this.key(crawlId, 'stats'),
      url,
      String(Date.now()),
      String(TTL_SECONDS),
      prior ? '1' : '0',
    );
    this.throwUnlessRunning(crawlId, [meta[0] ?? null, meta[1] ?? null]);
  }

  /**
   * The fetch of `url` ended with its outcome recorded. The entry stays, marked done: a worker killed
   * after this but before BullMQ marked the job complete leaves the job to run again, and that run must
   * see (`beginFetch`'s `prior`) that the page is stored, not fetch it again uncounted.
   */
  async endFetch(crawlId: string, url: string): Promise<void> {
    await this.redis.hset(this.key(crawlId, 'fetching'), url, 'done');
  }

  private throwUnlessRunning(crawlId: string, [state, startedAt]: Array<string | null>): void {
    if (state === 'cancelled') throw new CrawlEndedError(crawlId, 'cancelled');
    if (!state && !startedAt) throw new CrawlEndedError(crawlId, 'lost');
  }

  /** Marks a crawl cancelled: every worker drops its jobs from now on. False when its state is gone. */
  async cancel(crawlId: string): Promise<boolean> {
    const done = await this.redis.eval(CANCEL, 1, this.key(crawlId, 'meta'), new Date().toISOString());
    return done === 1;
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

  /**
   * What this process already knows of a link (as found on a page) in a crawl: `{ owner }`, the job that
   * admitted it, or `{ skip }`, why it is never admitted. Neither changes during a crawl, so a link met
   * again on other pages needs no parsing and no round trip to Redis (unless the page is its owner's,
   * which may be a retry that must get it again). `undefined`: not known here.
   */
  settled(crawlId: string, siteId: string, link: string): { owner: string } | { skip: string } | undefined {
    const v = this.settledLinks.get(`${crawlId}\n${siteId}\n${link}`);
    if (v === undefined) return undefined;
    return v.startsWith('o:') ? { owner: v.slice(2) } : { skip: v.slice(2) };
  }

  /** Remembers a link's owner or skip reason (see `settled`). */
  settle(crawlId: string, siteId: string, link: string, v: { owner: string } | { skip: string }): void {
    const key = `${crawlId}\n${siteId}\n${link}`;
    if (this.settledLinks.has(key)) return;
    if (this.settledLinks.size >= SETTLED_LINKS)
      this.settledLinks.delete(this.settledLinks.keys().next().value as string);
    this.settledLinks.set(key, 'owner' in v ? `o:${v.owner}` : `s:${v.skip}`);
  }

  /** Admits one URL (a seed or a pivot search); see `admitMany`. */
  async admit(
    crawlId: string,
    siteId: string,
    url: string,
    maxPages: number,
    owner: string,
  ): Promise<Admission> {
    const [one] = await this.admitMany(
      crawlId,
      siteId,
      [{ url, pattern: url }],
      maxPages,
      Number.MAX_SAFE_INTEGER,
      owner,
    );
    return one?.admission ?? 'duplicate';
  }

  /**
   * Admits a page's links in one round trip: each comes back `ok` (enqueue it) or why not, with its owner.
   * `owner` names the job asking: the same owner asking again, as a retried job does, gets its URLs again.
   */
  async admitMany(
    crawlId: string,
    siteId: string,
    urls: ReadonlyArray<{ url: string; pattern: string }>,
    maxPages: number,
    maxPerPattern: number,
    owner: string,
  ): Promise<AdmitResult[]> {
    if (!urls.length) return [];
    const args = urls.flatMap((u) => [urlKey(siteId, u.url), u.pattern]);
    const admit = (this.redis as unknown as { spiderwebAdmit: AdmitCommand }).spiderwebAdmit;
    const out = await admit.call(
      this.redis,
      this.key(crawlId, 'seen'),
      this.key(crawlId, `pages:${siteId}`),
      this.key(crawlId, `patterns:${siteId}`),
      String(maxPages),
      String(maxPerPattern),
      String(TTL_SECONDS),
      owner,
      ...args,
    );
    return out.map(([admission, by]) => ({ admission, owner: by || null }));
  }

  /**
   * Adds to live counters (`fetched`, `failed`, `leads`, `skipped:<reason>`...). Display only: the store
   * is the record. Counts are summed in memory and written within `COUNT_FLUSH_MS` (one MULTI for all
   * the jobs of that window, not one per job); `flush` writes them now.
   */
  count(crawlId: string, counts: Record<string, number>): void {
    let crawl = this.pending.get(crawlId);
    if (!crawl) {
      crawl = new Map();
      this.pending.set(crawlId, crawl);
    }
    for (const [name, by] of Object.entries(counts)) if (by) crawl.set(name, (crawl.get(name) ?? 0) + by);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch(() => {}); // kept for the next flush
    }, COUNT_FLUSH_MS);
  }

  /** Writes the counts not yet written. If Redis fails they are kept for the next flush, and this throws. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => {}).then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    const multi = this.redis.multi();
    for (const [crawlId, counts] of batch) {
      const key = this.key(crawlId, 'stats');
      for (const [name, by] of counts) multi.hincrby(key, name, by);
      multi.expire(key, TTL_SECONDS);
    }
    try {
      await multi.exec();
    } catch (err) {
      for (const [crawlId, counts] of batch)
        for (const [name, by] of counts) this.count(crawlId, { [name]: by });
      throw err;
    }
  }

  /** Live counters of a crawl, including the ones this process has not written yet. */
  async stats(crawlId: string): Promise<Record<string, number>> {
    await this.flush();
    const raw = await this.redis.hgetall(this.key(crawlId, 'stats'));
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
}

/** The Redis server's `run_id`: a new one after every restart. */
export async function redisRunId(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /^run_id:(\S+)/m.exec(info)?.[1] ?? '';
}
