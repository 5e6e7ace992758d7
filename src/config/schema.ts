import { z } from 'zod';
import { politenessSchema } from '../crawl/politeness/index.ts';

/**
 * `robots:` in `config/sites/<id>.yaml`. `obey` (default): robots.txt is fetched per host;
 * disallowed URLs fail with reason `robots`, and its `Crawl-delay` slows requests to the host
 * (never speeds them up). `ignore`: robots.txt is neither fetched nor applied. Each fetched page
 * records which one applied.
 */
export const robotsModeSchema = z.enum(['obey', 'ignore']).default('obey');

/** Identifier types and groups a site's `search.types` may name (`crypto` = btc, eth, tron, ton, ltc, xmr...). */
export const SEARCH_TYPES = [
  'crypto',
  'messenger',
  'ewallet',
  'social',
  'btc',
  'eth',
  'tron',
  'ton',
  'ltc',
  'xmr',
  'card',
  'phone',
  'telegram',
  'instagram',
  'tiktok',
  'twitter',
  'vk',
  'session',
  'wickr',
  'threema',
  'wechat',
  'qq',
  'matrix',
  'tox',
  'signal',
  'jabber',
  'email',
  'qiwi',
  'yoomoney',
  'payeer',
  'perfectmoney',
  'pgp',
] as const;

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

/** Runtime settings: `config/spiderweb.yaml`. Every field is optional; the defaults run the demo. */
export const runtimeSchema = z
  .object({
    redis: z
      .object({
        /**
         * Redis URL (`redis://host:6379/0`). Env `REDIS_URL` overrides. Default: 127.0.0.1:6379 if it
         * answers, else a private `redis-server` child on a free port, stopped on exit.
         */
        url: z.string().url().nullable().default(null),
        /** Key prefix for every queue and crawl key. Default `spiderweb`. Env `SPIDERWEB_REDIS_PREFIX`. */
        prefix: z.string().min(1).default('spiderweb'),
        /**
         * How long `crawl` waits for Redis to answer again before it stops with exit 1 (ms); jobs wait
         * meanwhile and nothing stored is lost. Default 300 000 (5 min).
         */
        maxOutageMs: z.number().int().min(1000).default(300_000),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /**
         * Where leads live. Default: SQLite file `spiderweb.sqlite` in `dataDir`. `sqlite:/path/file.sqlite`
         * for another file. Env `DATABASE_URL` overrides.
         */
        url: z.string().nullable().default(null),
      })
      .strict()
      .prefault({}),
    /** Directory for the SQLite store, evidence and logs. Relative to the working directory. Env `SPIDERWEB_DATA_DIR`. */
    dataDir: z.string().min(1).default('data'),
    concurrency: z
      .object({
        /** Fetch jobs in flight per worker process. Default 16. */
        fetch: z.number().int().min(1).max(512).default(16),
        /** Classify jobs in flight per worker process. Default 4. */
        classify: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .prefault({}),
    linking: z
      .object({
        /**
         * Identifiers that must never link leads, as `type:value` (canonical value, as `spiderweb identifiers`
         * prints it): a marketplace's own escrow wallet, a shared support handle.
         */
        ignore: z
          .array(z.string().regex(/^[a-z]+:.+/, 'type:value, e.g. telegram:market_support'))
          .default([]),
        /**
         * An identifier on more than this share of one site's fetched pages (its support e-mail or
         * Telegram in every footer, its escrow wallet) is site-wide: stored and shown, but it links none
         * of that site's leads. Decided again as the site's page counts grow. 1 turns it off. Default 0.2.
         */
        siteWideShare: z.number().gt(0).max(1).default(0.2),
        /** A site counts identifiers as site-wide only once it has this many fetched pages. Default 20. */
        siteWideMinPages: z.number().int().min(1).default(20),
      })
      .strict()
      .prefault({}),
    browser: z
      .object({
        /** Chromium executable. Default: env SPIDERWEB_CHROMIUM, else /usr/bin/chromium and the usual places. */
        executablePath: z.string().optional(),
        /** Pages rendered at once per worker process. Default 4. */
        maxConcurrentPages: z.number().int().min(1).max(64).default(4),
        /** Restart the browser after this many pages (bounds memory). Default 200. */
        maxPagesPerBrowser: z.number().int().min(1).default(200),
      })
      .strict()
      .prefault({}),
    workers: z
      .object({
        /**
         * How long a worker holds a job before others may take it back (ms). A worker that dies
         * (SIGKILL, power loss) has its jobs retried after about this long. Default 30 000.
         */
        lockMs: z.number().int().min(1000).default(30_000),
        /** How often workers look for jobs whose worker died (ms). Default: same as lockMs. */
        stalledCheckMs: z.number().int().min(500).optional(),
        /** Graceful shutdown: jobs in hand get this long to finish before they are returned to the queue (ms). Default 20 000. */
        shutdownGraceMs: z.number().int().min(0).default(20_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type RuntimeConfig = z.output<typeof runtimeSchema>;

/** One monitored source: `config/sites/<id>.yaml`. */
export const siteSchema = z
  .object({
    /** Stable id, used in job ids, the store and `--site`. Lower-case letters, digits, `-` and `_`. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - and _ (max 64)'),
    /** Free text for people. */
    name: z.string().optional(),
    /** `marketplace`: every listing is an offer (a prior for sale intent). `web`: anything else. Default `web`. */
    kind: z.enum(['marketplace', 'web']).default('web'),
    /** Start URLs (absolute http/https). At least one. */
    seeds: z.array(z.string().url()).min(1),
    scope: z
      .object({
        /** URL regexes a link must match to be crawled. Default: the seeds' hosts. */
        allow: z.array(regex).default([]),
        /** URL regexes that exclude a link even when allowed. */
        deny: z.array(regex).default([]),
      })
      .strict()
      .prefault({}),
    /** Link hops from a seed (seeds are depth 0). Default 3. */
    maxDepth: z.number().int().min(0).max(100).default(3),
    /** Pages fetched per crawl at most. Default 1000. */
    maxPages: z.number().int().min(1).max(10_000_000).default(1000),
    /**
     * Links followed per page at most (distinct, in page order). The others are counted in the crawl
     * summary as `skipped: max-links`; raise it for a market index listing more. Default 5000.
     */
    maxLinks: z.number().int().min(1).max(1_000_000).default(5000),
    /** Query parameters removed before dedup (case-insensitive), on top of utm_*, sid, PHPSESSID... */
    stripParams: z.array(z.string().min(1)).default([]),
    /**
     * Allow fetching loopback, private and link-local addresses (tests, the demo, intranet fixtures).
     * Default false: such addresses are refused after DNS resolution, at connect time.
     */
    allowPrivateNetwork: z.boolean().default(false),
    /**
     * Proxy for every fetch of this site, HTTP and browser alike: `http://host:port`, `socks5://host:port`,
     * or `socks5h://host:port` (host names resolved by the proxy: use this for Tor, `socks5h://127.0.0.1:9050`).
     * A site with a proxy never falls back to a direct connection. `.onion` hosts need one.
     */
    proxy: z
      .string()
      .regex(/^(https?|socks5h?):\/\/[^\s/]+\/?$/, 'a proxy URL: http://, socks5:// or socks5h://host:port')
      .optional(),
    /**
     * How pages are fetched. `http` (default): plain HTTP, fastest. `browser`: rendered in Chromium
     * (JavaScript-built shops). `auto`: HTTP first, then Chromium when the page is a JavaScript shell
     * with little text.
     */
    render: z.enum(['http', 'browser', 'auto']).default('http'),
    /** Browser rendering options (for `render: browser | auto`). */
    browser: z
      .object({
        /** When to read the DOM: `load` (default; then until the network is quiet), `networkidle`, or `{ selector: css }`. */
        waitFor: z
          .union([z.enum(['load', 'networkidle']), z.object({ selector: z.string().min(1) }).strict()])
          .default('load'),
        /** Scroll to the bottom this many times (infinite scroll). Default 0. */
        scroll: z.number().int().min(0).max(50).default(0),
        /** Click a "load more" button up to `maxClicks` times. */
        loadMore: z
          .object({ selector: z.string().min(1), maxClicks: z.number().int().min(1).max(100) })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Per-host rate, concurrency and circuit breaker, shared by every worker on every machine. */
    politeness: politenessSchema,
    /** robots.txt: `obey` (default; Disallow and Crawl-delay honoured) or `ignore`. Recorded on every page. */
    robots: robotsModeSchema,
    /**
     * Use sitemaps as extra seeds: `true` reads the sitemaps robots.txt lists (or `/sitemap.xml`),
     * a list of URLs reads those. Sitemap indexes and gzip are followed. Default false.
     */
    sitemaps: z.union([z.boolean(), z.array(z.string().url()).min(1)]).default(false),
    /**
     * Recrawl schedule, run by `spiderweb schedule`: `every` (e.g. `6h`, `30m`, `90s`) or `cron` (e.g.
     * `0 3 * * *`, daily at 03:00 UTC). A recrawl updates pages and leads in place: changed listings are re-classified
     * and their history records it; a listing answering 404/410 is marked gone with the time.
     */
    recrawl: z
      .object({
        every: z
          .string()
          .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 30m, 6h or 1d')
          .optional(),
        cron: z.string().min(9).optional(),
      })
      .strict()
      .refine((r) => Boolean(r.every) !== Boolean(r.cron), 'set exactly one of every or cron')
      .optional(),
    /** Evidence sealed for each lead (the raw exchange of every page is always archived). */
    evidence: z
      .object({
        /** Take a full-page PNG of each lead (rendered offline from the captured body in Chromium). Default true. */
        screenshots: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Crawler-trap bounds; a URL stopped by one is counted as `skipped:<reason>` in the summary. */
    traps: z
      .object({
        /** Skip URLs whose path repeats one segment more than this (`/a/b/a/b/a/`). Default 3. */
        maxRepeatedSegments: z.number().int().min(1).default(3),
        /**
         * Pages per URL pattern per crawl (digits → {n}, ids → {id}, query values → {v}): stops endless
         * calendars and pagination. A shop's listings share one pattern (`/item/{n}`), so this must stay above
         * the number of listings a site has. Default 5000.
         */
        maxPagesPerPattern: z.number().int().min(1).default(5000),
      })
      .strict()
      .prefault({}),
    /** HTTP fetch limits. */
    fetch: z
      .object({
        /** Connect timeout (ms). Default 10 000. */
        connectTimeoutMs: z.number().int().min(100).default(10_000),
        /** Time to the end of the response headers (ms). Default 20 000. */
        headersTimeoutMs: z.number().int().min(100).default(20_000),
        /** Time for the whole body, and the longest silence between two chunks (ms). Default 30 000. */
        bodyTimeoutMs: z.number().int().min(100).default(30_000),
        /** Largest body kept after decompression, bytes; longer bodies are truncated. Default 5 MiB. */
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(5 * 1024 * 1024),
        /**
         * Longest wait a server's Retry-After (429/503) may impose, ms: a hostile `Retry-After: 999999999`
         * is cut to this, for the URL and for the host's pause. Default 3 600 000 (1 hour).
         */
        maxRetryAfterMs: z.number().int().min(0).default(3_600_000),
        /** Redirect hops followed, each re-checked against the scope. Default 5. */
        maxRedirects: z.number().int().min(0).max(20).default(5),
        /** User-Agent header. Default `Spiderweb/0.1 (+monitoring)`. */
        userAgent: z.string().optional(),
        /** Extra request headers (e.g. `accept-language`, a session `cookie`). */
        headers: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .prefault({}),
    /**
     * Pivot searches: when a lead anywhere reveals a new identifier of one of `types`, Spiderweb fetches
     * `url` with `{query}` replaced by the identifier (URL-encoded) and crawls the results as this site's pages.
     */
    search: z
      .object({
        /** Search URL template with `{query}`, e.g. `https://shop.example/search?q={query}`. */
        url: z
          .string()
          .url()
          .refine((u) => u.includes('{query}') || u.includes('%7Bquery%7D'), 'must contain {query}'),
        /** Identifier types or groups to search for: crypto, messenger, ewallet, card, phone, telegram, email... */
        types: z.array(z.enum(SEARCH_TYPES)).min(1),
        /** Pivot searches on this site per 24 hours at most. Default 100. Each identifier is searched once ever. */
        maxPerDay: z.number().int().min(1).default(100),
      })
      .strict()
      .optional(),
    /** Listing extraction: pages whose URL matches `urlPattern` become listing documents with these fields. */
    listing: z
      .object({
        /** Regex on the URL that marks a listing page. */
        urlPattern: regex.optional(),
        /** CSS selectors for the listing fields; the first match's text is taken. */
        selectors: z
          .object({
            title: z.string().optional(),
            price: z.string().optional(),
            currency: z.string().optional(),
            seller: z.string().optional(),
            description: z.string().optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SiteConfig = z.output<typeof siteSchema>;
export type SiteInput = z.input<typeof siteSchema>;
