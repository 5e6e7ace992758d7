/**
 * robots.txt per site: `obey` (the default) or `ignore`. Each origin's robots.txt is fetched once
 * per `ttlMs` by one worker (a Redis lock), shared with every worker through Redis and cached in
 * process, and parsed with `robots-parser`.
 *
 * What a robots.txt answer means (RFC 9309, as Google applies it):
 * - 2xx: the rules apply (the first 500 KiB are parsed; unknown lines are ignored).
 * - 3xx left after the fetcher's redirects, 4xx (401/403/404...), or a fetch refused for good
 *   (`NonRetryableError`, e.g. a robots.txt of a type the fetcher won't read): no usable robots.txt,
 *   so everything is allowed.
 * - 5xx, 429, timeouts, network and proxy errors: the server cannot say, so everything is
 *   disallowed, but only for `unreachableTtlMs` (default 1 min), after which robots.txt is
 *   fetched again; URLs met meanwhile are put off (`RetryLaterError('robots')`), not failed.
 * - The fetch function throwing `RetryLaterError` (Retry-After, or the politeness gate saying
 *   "later"): nothing is cached and the error propagates, so the job is simply delayed.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import robotsParserCjs from 'robots-parser';
import type { SiteConfig } from '../config/index.ts';
import { NonRetryableError, RetryLaterError } from '../errors.ts';
import { log } from '../log.ts';

const logger = log.child({ component: 'robots' });

/** The package is CommonJS (`module.exports = parse`); under NodeNext its typings read as `{ default: parse }`. */
const parseRobots = robotsParserCjs as unknown as typeof robotsParserCjs.default;

/**
 * Whether a robots.txt rule's pattern matches a path (URL path and query), as robots-parser and
 * Google's parser decide it: `*` matches any run of characters, a final `$` anchors the end, and
 * otherwise the pattern need only match the path's start. Their matcher costs the pattern's length
 * times the path's for each rule: a hostile robots.txt of wildcard rules (`/*a*a*a…`, 200 KB of them,
 * under the 500 KiB read) cost a second of the event loop for every URL checked against it. With only
 * `*` as a wildcard, each literal piece's earliest place after the one before is the right one, so one
 * forward scan of the path decides.
 */
export function patternMatches(pattern: string, path: string): boolean {
  return compilePattern(pattern)(path);
}

/** `patternMatches` for one pattern, its pieces cut once. */
function compilePattern(pattern: string): (path: string) => boolean {
  const anchored = pattern.endsWith('$');
  const pieces = (anchored ? pattern.slice(0, -1) : pattern).split('*');
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (pieces.length === 1)
    return (path) => path.startsWith(first) && (!anchored || path.length === first.length);
  return (path) => {
    if (!path.startsWith(first)) return false;
    let at = first.length;
    for (let i = 1; i < pieces.length - 1; i++) {
      const found = path.indexOf(pieces[i]!, at);
      if (found === -1) return false;
      at = found + pieces[i]!.length;
    }
    return anchored ? path.length - last.length >= at && path.endsWith(last) : path.includes(last, at);
  };
}

/** robots-parser's parsed state, which `robotsParser` reads to look rules up itself. */
interface ParsedRobots {
  _url: URL | Record<string, never>;
  _rules: Record<string, Array<{ pattern: string; allow: boolean }> | undefined>;
  _getRule(url: string, ua?: string): { pattern: string; allow: boolean } | null | undefined;
}

/** robots-parser's URL reading: relative URLs against a host of its own, the port made explicit. */
function robotsUrl(url: string): URL | null {
  try {
    const u = new URL(url, 'http://robots-relative.samclarke.com/');
    if (!u.port) u.port = u.protocol === 'https:' ? '443' : '80';
    return u;
  } catch {
    return null;
  }
}

/**
 * robots-parser, its rule lookup done with `patternMatches`: the same file read the same way, the same
 * choice of rules (the user agent's group or `*`, the longest matching pattern, allow on a tie), the
 * same answers (test/unit/crawl/robots-match.test.ts compares them on random files), in linear time.
 */
export function robotsParser(url: string, contents: string): ReturnType<typeof parseRobots> {
  const robots = parseRobots(url, contents);
  const parsed = robots as unknown as ParsedRobots;
  const compiled = new Map<string, (path: string) => boolean>();
  const matches = (pattern: string, path: string) => {
    let test = compiled.get(pattern);
    if (!test) {
      test = compilePattern(pattern);
      compiled.set(pattern, test);
    }
    return test(path);
  };
  parsed._getRule = (target, ua) => {
    const u = robotsUrl(target);
    const own = parsed._url as Partial<URL>;
    if (!u || u.protocol !== own.protocol || u.hostname !== own.hostname || u.port !== own.port)
      return undefined;
    let agent = (ua || '*').toLowerCase();
    if (agent.includes('/')) agent = agent.slice(0, agent.indexOf('/'));
    const rules = parsed._rules[agent.trim()] || parsed._rules['*'] || [];
    const path = (u.pathname + u.search).replace(/%[0-9a-fA-F]{2}/g, (m) => m.toUpperCase());
    let chosen: { pattern: string; allow: boolean } | null = null;
    for (const rule of rules) {
      if (!matches(rule.pattern, path)) continue;
      if (
        !chosen ||
        rule.pattern.length > chosen.pattern.length ||
        (rule.pattern.length === chosen.pattern.length && rule.allow && !chosen.allow)
      )
        chosen = rule;
    }
    return chosen;
  };
  return robots;
}

/** Deletes the fetch lock only if it is still ours. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** `robots:` of a site (`obey` or `ignore`; see `robotsModeSchema` in the config schema). */
export type RobotsMode = SiteConfig['robots'];

/** Fetches a robots.txt with the site's own fetcher (its proxy, SSRF rules, user agent...). */
export type RobotsFetch = (url: string) => Promise<{ status: number; text: string }>;

/** How an origin's robots.txt turned out: rules parsed, none to be had (allow all), or unreachable (disallow all for now). */
export type RobotsSource = 'parsed' | 'missing' | 'unreachable';

/** A robots.txt as stored in Redis (JSON). */
interface StoredRobots {
  source: RobotsSource;
  status: number | null;
  text: string;
  fetchedAt: number;
  expiresAt: number;
}

/** The robots.txt of one origin, ready to answer. */
export interface RobotsFile {
  /** `http://host:port` as in `new URL(url).origin`. */
  origin: string;
  source: RobotsSource;
  /** HTTP status of the robots.txt fetch; `null` when the fetch failed. */
  status: number | null;
  /** Epoch ms when it was fetched, and when it will be fetched again. */
  fetchedAt: number;
  expiresAt: number;
  /** `Sitemap:` lines (absolute URLs as written). */
  sitemaps: string[];
  /** Whether `url` (of this origin) may be fetched by `userAgent`. */
  isAllowed(url: string, userAgent: string): boolean;
  /** The Crawl-delay for `userAgent` in ms (capped), when the file sets one. */
  crawlDelayMs(userAgent: string): number | undefined;
}

/** The robots decision for one URL, to record on the page and feed into politeness. */
export interface RobotsVerdict {
  mode: RobotsMode;
  allowed: boolean;
  /** How robots.txt was had; `skipped` in `ignore` mode. */
  robots: RobotsSource | 'skipped';
  /** Crawl-delay for our user agent (ms): pass it as the politeness policy's `crawlDelayMs`. */
  crawlDelayMs?: number;
  /** When `unreachable`: ms until robots.txt is fetched again. */
  retryInMs?: number;
}

export interface RobotsCacheOptions {
  redis: Redis;
  /** Key prefix (`spiderweb`); keys are `<prefix>:robots:<origin>`. */
  prefix: string;
  /** How long a fetched robots.txt (or its absence) is trusted (ms). Default 3 600 000 (1 h). */
  ttlMs?: number;
  /** How long an unreachable robots.txt (5xx, timeout...) disallows everything before a new try (ms). Default 60 000. */
  unreachableTtlMs?: number;
  /** Characters of robots.txt parsed; the rest is ignored. Default 512 000 (RFC 9309's 500 KiB). */
  maxChars?: number;
  /** Largest Crawl-delay honoured (ms), so a hostile file cannot stall a crawl. Default 60 000. */
  maxCrawlDelayMs?: number;
  /** Origins kept parsed in process memory. Default 10 000. */
  memoryEntries?: number;
  /** While one worker fetches an origin's robots.txt, others wait this long for it (ms). Default 15 000. */
  lockMs?: number;
}

export interface RobotsCheckOptions {
  mode: RobotsMode;
  /** The User-Agent header the site sends; its product token (`Spiderweb` of `Spiderweb/0.1 (...)`) picks the group. */
  userAgent: string;
  fetch: RobotsFetch;
}

/** robots.txt per origin, shared by all workers. One per process. */
export class RobotsCache {
  private readonly o: Required<Omit<RobotsCacheOptions, 'redis' | 'prefix'>>;
  private readonly memory = new Map<string, RobotsFile>();
  private readonly pending = new Map<string, Promise<RobotsFile>>();

  constructor(private readonly opts: RobotsCacheOptions) {
    this.o = {
      ttlMs: opts.ttlMs ?? 3_600_000,
      unreachableTtlMs: opts.unreachableTtlMs ?? 60_000,
      maxChars: opts.maxChars ?? 512_000,
      maxCrawlDelayMs: opts.maxCrawlDelayMs ?? 60_000,
      memoryEntries: opts.memoryEntries ?? 10_000,
      lockMs: opts.lockMs ?? 15_000,
    };
  }

  /**
   * The robots decision for `url`. `ignore` answers at once without fetching anything. `obey`
   * gets the origin's robots.txt (memory, then Redis, then `fetch`) and applies it.
   */
  async check(url: string, opts: RobotsCheckOptions): Promise<RobotsVerdict> {
    if (opts.mode === 'ignore') return { mode: 'ignore', allowed: true, robots: 'skipped' };
    const file = await this.get(url, opts.fetch);
    const verdict: RobotsVerdict = {
      mode: 'obey',
      allowed: file.isAllowed(url, opts.userAgent),
      robots: file.source,
    };
    const delay = file.crawlDelayMs(opts.userAgent);
    if (delay !== undefined) verdict.crawlDelayMs = delay;
    if (file.source === 'unreachable') verdict.retryInMs = Math.max(1000, file.expiresAt - Date.now());
    return verdict;
  }

  /**
   * {@link check}, throwing when the URL may not be fetched: `NonRetryableError('robots')` when
   * robots.txt disallows it (the URL ends `failed` with reason `robots`), `RetryLaterError('robots')`
   * while robots.txt is unreachable.
   */
  async enforce(url: string, opts: RobotsCheckOptions): Promise<RobotsVerdict> {
    const v = await this.check(url, opts);
    if (v.allowed) return v;
    if (v.robots === 'unreachable') {
      const ms = v.retryInMs ?? this.o.unreachableTtlMs;
      throw new RetryLaterError('robots', `${url}: robots.txt unreachable, retrying in ${ms} ms`, ms);
    }
    throw new NonRetryableError('robots', `${url}: disallowed by robots.txt`);
  }

  /** The robots.txt of `url`'s origin: from memory, else Redis, else fetched (once across all workers). */
  async get(url: string, fetch: RobotsFetch): Promise<RobotsFile> {
    const origin = originOf(url);
    const cached = this.memory.get(origin);
    if (cached && cached.expiresAt > Date.now()) return cached;
    let p = this.pending.get(origin);
    if (!p) {
      p = this.load(origin, fetch).finally(() => this.pending.delete(origin));
      this.pending.set(origin, p);
    }
    return p;
  }

  private key(origin: string): string {
    return `${this.opts.prefix}:robots:${origin}`;
  }

  private async load(origin: string, fetch: RobotsFetch): Promise<RobotsFile> {
    const { redis } = this.opts;
    const key = this.key(origin);
    let stored = await this.read(key);
    if (!stored) {
      const lockKey = `${key}:lock`;
      const token = randomUUID();
      const locked = await redis.set(lockKey, token, 'PX', this.o.lockMs, 'NX');
      if (locked) {
        try {
          stored = await this.fetchRobots(origin, fetch);
          const ttl = Math.max(1, stored.expiresAt - stored.fetchedAt);
          await redis.set(key, JSON.stringify(stored), 'PX', ttl);
        } finally {
          await redis.eval(UNLOCK, 1, lockKey, token);
        }
      } else {
        stored = await this.waitFor(key, lockKey);
        stored ??= await this.fetchRobots(origin, fetch);
      }
    }
    const file = this.parse(origin, stored);
    this.remember(origin, file);
    return file;
  }

  /** Another worker is fetching it: wait for its result while its lock lives. */
  private async waitFor(key: string, lockKey: string): Promise<StoredRobots | null> {
    const until = Date.now() + this.o.lockMs;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const stored = await this.read(key);
      if (stored) return stored;
      if (!(await this.opts.redis.exists(lockKey))) return this.read(key);
    }
    return null;
  }

  private async read(key: string): Promise<StoredRobots | null> {
    const raw = await this.opts.redis.get(key);
    if (!raw) return null;
    try {
      const s = JSON.parse(raw) as StoredRobots;
      return s.expiresAt > Date.now() ? s : null;
    } catch {
      return null;
    }
  }

  private async fetchRobots(origin: string, fetch: RobotsFetch): Promise<StoredRobots> {
    const url = `${origin}/robots.txt`;
    const fetchedAt = Date.now();
    let status: number | null = null;
    let text = '';
    let source: RobotsSource;
    try {
      const res = await fetch(url);
      status = res.status;
      text = res.text;
      if (status >= 200 && status < 300) source = 'parsed';
      else if (status === 429 || status >= 500) source = 'unreachable';
      else source = 'missing';
    } catch (err) {
      if (err instanceof RetryLaterError) throw err;
      source = err instanceof NonRetryableError ? 'missing' : 'unreachable';
      logger.debug({ url, err }, 'robots.txt fetch failed');
    }
    const ttl = source === 'unreachable' ? this.o.unreachableTtlMs : this.o.ttlMs;
    logger.debug({ url, status, source }, 'robots.txt fetched');
    return {
      source,
      status,
      text: source === 'parsed' ? text.slice(0, this.o.maxChars) : '',
      fetchedAt,
      expiresAt: fetchedAt + ttl,
    };
  }

  private parse(origin: string, s: StoredRobots): RobotsFile {
    const robots = robotsParser(`${origin}/robots.txt`, s.text);
    const maxDelay = this.o.maxCrawlDelayMs;
    return {
      origin,
      source: s.source,
      status: s.status,
      fetchedAt: s.fetchedAt,
      expiresAt: s.expiresAt,
      sitemaps: s.source === 'parsed' ? robots.getSitemaps() : [],
      isAllowed(url, userAgent) {
        if (s.source === 'unreachable') return false;
        if (s.source === 'missing') return true;
        // `undefined` only for a URL of another origin, which this file has no say over.
        return robots.isAllowed(url, productToken(userAgent)) ?? true;
      },
      crawlDelayMs(userAgent) {
        if (s.source !== 'parsed') return undefined;
        const seconds = robots.getCrawlDelay(productToken(userAgent));
        if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return undefined;
        return Math.min(Math.round(seconds * 1000), maxDelay);
      },
    };
  }

  private remember(origin: string, file: RobotsFile): void {
    this.memory.delete(origin);
    this.memory.set(origin, file);
    while (this.memory.size > this.o.memoryEntries) {
      const oldest = this.memory.keys().next().value;
      if (oldest === undefined) break;
      this.memory.delete(oldest);
    }
  }
}

/** `Spiderweb` of `Spiderweb/0.1 (+monitoring)`: what robots.txt `User-agent:` lines name. */
export function productToken(userAgent: string): string {
  return userAgent.trim().split(/[/\s]/)[0] || '*';
}

function originOf(url: string): string {
  const u = URL.canParse(url) ? new URL(url) : null;
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new NonRetryableError('invalid-url', `${url}: not an absolute http(s) URL`);
  }
  return u.origin;
}
