import { type Command, InvalidArgumentError } from 'commander';
import { type Config, loadConfig, type SiteConfig, siteSchema } from '../../config/index.ts';
import { screenshotWarning } from '../../doctor/index.ts';
import { UsageError } from '../../errors.ts';
import { redisDurability } from '../../queue/index.ts';
import {
  cancelCrawl,
  type CrawlProgress,
  type CrawlSummary,
  openRuntime,
  runCrawl,
  type WorkerOptions,
} from '../../runtime/index.ts';
import { collect, out, warn } from '../output.ts';

export interface CrawlCliOptions {
  site?: string[];
  seed?: string[];
  maxDepth?: number;
  maxPages?: number;
  maxRps?: number;
  stripParam?: string[];
  exclude?: string[];
  concurrency?: number;
  workers: number;
  allowPrivateNetwork?: boolean;
  kind?: 'web' | 'marketplace';
  json?: boolean;
  cancel?: string;
}

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};

export function register(program: Command): void {
  program
    .command('crawl')
    .description('crawl configured sites (or --seed URLs) through the queues, classify pages and store leads')
    .option(
      '--site <id>',
      'a configured site to crawl (repeatable; default: every site in config/sites)',
      collect,
    )
    .option('--seed <url>', 'crawl this URL as an ad-hoc site instead (repeatable)', collect)
    .option('--max-depth <n>', 'link hops from a seed', int('--max-depth', 0))
    .option('--max-pages <n>', 'pages per site at most', int('--max-pages', 1))
    .option(
      '--max-rps <x>',
      "requests per second per host, across all workers (default: the site's, 2)",
      (v) => {
        const x = Number(v);
        if (!(x > 0)) throw new InvalidArgumentError('--max-rps must be a positive number');
        return x;
      },
    )
    .option('--strip-param <name>', 'query parameter to drop from URLs (repeatable)', collect)
    .option('--exclude <regex>', 'skip URLs matching this regex (repeatable)', collect)
    .option('--concurrency <n>', 'fetches in flight in this process', int('--concurrency', 1))
    .option(
      '--workers <n>',
      '0: only schedule and wait for `spiderweb worker` processes; 1: work in this process',
      int('--workers', 0),
      1,
    )
    .option('--allow-private-network', 'with --seed: allow loopback/private addresses')
    .option('--kind <kind>', 'with --seed: web or marketplace', 'web')
    .option('--json', 'print the summary as one JSON object')
    .option('--cancel <crawl-id>', 'cancel a running crawl (from another shell): workers drop its jobs')
    .action(async (opts: CrawlCliOptions, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      if (opts.cancel) return cancelCommand(config, opts.cancel);
      const warning = await screenshotWarning(config);
      if (warning) warn(warning);
      const summary = await crawlCommand(config, opts);
      if (opts.json) out(JSON.stringify(summary));
      else printSummary(summary);
      const why = summary.reason ?? nothingFetched(summary);
      if (why) process.stderr.write(`spiderweb: crawl ${summary.crawlId} ${summary.state}: ${why}\n`);
      if (why) process.exitCode = 1;
    });
}

/** Applies the command line to the configured sites; the result is validated like a site file. */
export function sitesForCrawl(config: Config, opts: CrawlCliOptions): SiteConfig[] {
  let base: unknown[];
  if (opts.seed?.length) {
    if (opts.site?.length) throw new UsageError('use either --site or --seed, not both');
    base = [
      {
        id: 'adhoc',
        kind: opts.kind ?? 'web',
        seeds: opts.seed,
        allowPrivateNetwork: Boolean(opts.allowPrivateNetwork),
      },
    ];
  } else {
    const ids = opts.site?.length ? opts.site : [...config.sites.keys()];
    if (ids.length === 0) {
      throw new UsageError(`no sites to crawl: add ${config.dir}/sites/<id>.yaml or pass --seed URL`);
    }
    base = ids.map((id) => {
      const site = config.sites.get(id);
      if (!site)
        throw new UsageError(
          `unknown site "${id}" (configured: ${[...config.sites.keys()].join(', ') || 'none'})`,
        );
      return site;
    });
  }
  return base.map((b) => {
    const s = b as SiteConfig;
    const merged = {
      ...s,
      ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}),
      ...(opts.maxPages !== undefined ? { maxPages: opts.maxPages } : {}),
      ...(opts.maxRps !== undefined ? { politeness: { ...s.politeness, maxRps: opts.maxRps } } : {}),
      stripParams: [...(s.stripParams ?? []), ...(opts.stripParam ?? [])],
      scope: { allow: s.scope?.allow ?? [], deny: [...(s.scope?.deny ?? []), ...(opts.exclude ?? [])] },
    };
    const parsed = siteSchema.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const [a, b, n] = issue.path;
      const own = s.scope?.deny?.length ?? 0;
      // A value from the command line is named by its flag, not by the site field it went into.
      if (a === 'scope' && b === 'deny' && typeof n === 'number' && n >= own)
        throw new UsageError(`--exclude ${opts.exclude?.[n - own]}: ${issue.message}`);
      if (a === 'politeness' && b === 'maxRps' && opts.maxRps !== undefined)
        throw new UsageError(`--max-rps ${opts.maxRps}: ${issue.message}`);
      throw new UsageError(`site ${s.id}: ${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  });
}

export async function crawlCommand(config: Config, opts: CrawlCliOptions): Promise<CrawlSummary> {
  const sites = sitesForCrawl(config, opts);
  const rt = await openRuntime(config, { watchLexicons: opts.workers !== 0 });
  // A private redis-server (started when none answers) keeps nothing on purpose: no warning for it.
  if (!rt.redis.embedded)
    for (const warning of (await redisDurability(rt.conn)).warnings)
      process.stderr.write(`spiderweb: warning: ${warning}\n`);
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals) => abort.abort(signal);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const live = process.stderr.isTTY && !opts.json;
  try {
    return await runCrawl(rt, {
      sites,
      pivotSites: [...config.sites.values()].filter((s) => s.search),
      workers: inProcessWorkers(config, opts),
      signal: abort.signal,
      ...(live ? { onProgress: showProgress } : {}),
    });
  } finally {
    if (live) process.stderr.write('\n');
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await rt.close();
  }
}

/** `crawl --cancel ID`: marks the crawl cancelled, removes its queued jobs, marks its row in the store. */
async function cancelCommand(config: Config, crawlId: string): Promise<void> {
  const rt = await openRuntime(config);
  try {
    const { marked, stored, removed } = await cancelCrawl(rt, crawlId);
    if (!marked && !stored) throw new UsageError(`no running crawl ${crawlId} (see spiderweb crawls)`);
    out(
      `crawl ${crawlId} cancelled: removed ${removed.fetch} fetch, ${removed.classify} classify and ${removed.evidence} evidence jobs`,
    );
  } finally {
    await rt.close();
  }
}

function showProgress(p: CrawlProgress): void {
  if (p.waiting) {
    process.stderr.write(`\r\x1b[2K${p.waiting}  ${p.seconds.toFixed(0)}s`);
    return;
  }
  process.stderr.write(
    `\r\x1b[2Kfetched ${p.fetched}  queued ${p.queued}  failed ${p.failed}  leads ${p.leads}  ${p.pagesPerSec.toFixed(1)} pages/s  ${p.seconds.toFixed(0)}s`,
  );
}

/** The workers `crawl` and `schedule` run in their own process: none with `--workers 0`. */
export function inProcessWorkers(
  config: Config,
  opts: { workers?: number; concurrency?: number },
): WorkerOptions | null {
  return opts.workers === 0
    ? null
    : {
        fetch: opts.concurrency ?? config.runtime.concurrency.fetch,
        classify: config.runtime.concurrency.classify,
      };
}

/** A crawl that ended normally but fetched no page at all failed: says why, and the flag that helps. */
function nothingFetched(s: CrawlSummary): string | null {
  if (s.pages > 0 || s.failed === 0) return null;
  const hint = s.failures['private-network']
    ? '; the seeds are on a loopback or private network address: pass --allow-private-network to crawl them'
    : '';
  return `no page fetched, every seed failed${fmt(s.failures)}${hint}`;
}

export function printSummary(s: CrawlSummary): void {
  out(`crawl ${s.crawlId}${s.state === 'finished' ? '' : ` (${s.state})`}: ${s.sites.join(', ')}`);
  out(`  pages fetched  ${s.pages}`);
  out(`  failed         ${s.failed}${fmt(s.failures)}`);
  out(`  leads          ${s.leads} (${s.newLeads} new)`);
  out(`  time           ${s.seconds}s, ${s.pagesPerSec} pages/s`);
  const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  if (skipped) out(`  links skipped  ${skipped}${fmt(s.skipped)}`);
  const cut = Object.values(s.cut).reduce((a, b) => a + b, 0);
  if (cut) out(`  pages cut      ${cut}${fmt(s.cut)}`);
  if (s.refetched) out(`  refetched      ${s.refetched} (a worker died before storing the page)`);
  if (s.cancelled) {
    const c = s.cancelled;
    out(
      `  cancelled      ${c.fetch + c.classify + c.evidence} queued jobs removed${fmt({ fetch: c.fetch, classify: c.classify, evidence: c.evidence })}, ${c.dropped} dropped by workers`,
    );
  }
}

function fmt(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k} ${v}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
