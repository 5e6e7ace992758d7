/**
 * Harness of the hostile-input suite (`test/integration/hostile-*.test.ts`): a table of cases, each a
 * fixture route with the outcome it must end in, crawled through the real pipeline (`runCrawl` with
 * in-process workers, real Redis and SQLite), then a healthy page on the same site in the same
 * runtime to prove the workers survived.
 */
import { expect } from 'vitest';
import { type SiteInput, siteSchema } from '../../src/config/index.ts';
import { MAX_TEXT_CHARS } from '../../src/extract/index.ts';
import { type CrawlSummary, type Runtime, runCrawl } from '../../src/runtime/index.ts';
import { type FixtureServer, type RouteHandler, startServer } from './fixture-server.ts';
import { html, htmlPage } from './hostile-routes.ts';
import { storeDb } from '../../src/leads/store.ts';

/** A page row as the assertions see it (text length rather than text). */
export interface PageRow {
  url: string;
  path: string;
  state: string;
  status: number | null;
  failReason: string | null;
  failMessage: string | null;
  title: string;
  textLength: number;
  text: string;
  lastFetched: string;
}

export type PageState = 'fetched' | 'failed' | 'gone';

export interface HostileCase {
  /** Shown in the test name and the timing report. */
  name: string;
  /** The seed path (with query) on the case's server. */
  path: string;
  /** Routes this case mounts (usually one, on `path`). */
  routes: Record<string, RouteHandler>;
  /** How the seed's page must end. */
  expect: {
    /** The state, or the states allowed when the outcome depends on the machine's speed. */
    state: PageState | PageState[];
    /** The fail reason (or one of them) when the page fails. */
    reason?: string | string[];
    /** The stored text is at most this long (default MAX_TEXT_CHARS for fetched pages). */
    maxText?: number;
  };
  /**
   * A bug outside the crawler's reach (to be fixed by its owner): the case is left out of the crawl
   * (it would hang it) and reported as a todo with this text.
   */
  knownBug?: string;
  /** Further checks on the seed's row and every row of the crawl. */
  check?: (row: PageRow, rows: PageRow[], summary: CrawlSummary) => void;
}

/** A case of one route: `handler` serves the seed `path`. */
export const hostileCase = (
  name: string,
  path: string,
  handler: RouteHandler,
  expect: HostileCase['expect'],
  check?: HostileCase['check'],
): HostileCase => ({ name, path, routes: { [path]: handler }, expect, ...(check ? { check } : {}) });

/** A page the lexicons flag as a lead: proof that fetch and classify still work after the hostile pages. */
export const HEALTHY_PATH = '/healthy';
const HEALTHY_PAGE = htmlPage(
  'Мефедрон',
  '<article><h1>Мефедрон кристалл 1г</h1><p>Мефедрон кристалл 1г — 3500₽, закладки по городу, пишите в телеграм.</p></article>',
);

/** Short limits and lax politeness so the suite stays fast; merged under `site`. */
export function hostileSiteInput(id: string, server: FixtureServer, site: Partial<SiteInput>): SiteInput {
  return {
    id,
    seeds: [`${server.url}/`],
    allowPrivateNetwork: true,
    maxDepth: 30,
    maxPages: 500,
    traps: { maxPagesPerPattern: 10 },
    ...site,
    fetch: {
      connectTimeoutMs: 500,
      headersTimeoutMs: 800,
      bodyTimeoutMs: 800,
      maxBytes: 2 * 1024 * 1024,
      ...site.fetch,
    },
    politeness: { maxRps: 500, maxConcurrent: 8, failureThreshold: 1000, ...site.politeness },
  };
}

export interface HostileRun {
  server: FixtureServer;
  summary: CrawlSummary;
  /** The crawl of the healthy page afterwards (null when not asked for). */
  healthy: CrawlSummary | null;
  rows: PageRow[];
  /** The seed's row of each case, by case name. */
  byCase: Map<string, PageRow>;
  /** Per case: ms from the first request for its path (else the crawl's start) to its row's last write. */
  caseMs: Map<string, number>;
  wallMs: number;
  /** `process.memoryUsage().rss` growth over both crawls, bytes. */
  rssGrowth: number;
}

export interface HostileOptions {
  /** Site settings over {@link hostileSiteInput}'s. */
  site?: Partial<SiteInput>;
  workers?: { fetch: number; classify: number };
  /** The seed URL of a case (default: the server's origin + `path`). */
  seedUrl?: (server: FixtureServer, c: HostileCase, index: number) => string;
  /** Crawl the healthy page afterwards. Default true. */
  healthy?: boolean;
}

/** Starts a server with the cases' routes (and the healthy page), crawls the cases, then the healthy page. */
export async function runHostile(
  rt: Runtime,
  id: string,
  cases: HostileCase[],
  opts: HostileOptions = {},
): Promise<HostileRun> {
  cases = cases.filter((c) => !c.knownBug);
  const routes: Record<string, RouteHandler> = { [HEALTHY_PATH]: html(HEALTHY_PAGE) };
  for (const c of cases) Object.assign(routes, c.routes);
  const server = await startServer(routes);
  const workers = opts.workers ?? { fetch: 8, classify: 2 };
  const seedUrl = opts.seedUrl ?? ((s, c) => `${s.url}${c.path}`);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  const input = hostileSiteInput(id, server, opts.site ?? {});
  const summary = await runCrawl(rt, {
    sites: [siteSchema.parse({ ...input, seeds: cases.map((c, i) => seedUrl(server, c, i)) })],
    workers,
    progressMs: 50,
  });
  const wallMs = Date.now() - started;
  const healthy =
    opts.healthy === false
      ? null
      : await runCrawl(rt, {
          sites: [siteSchema.parse({ ...input, seeds: [`${server.url}${HEALTHY_PATH}`] })],
          workers,
          progressMs: 50,
        });
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  const rows = await pageRows(rt, summary.crawlId);
  const byCase = new Map<string, PageRow>();
  const caseMs = new Map<string, number>();
  for (const c of cases) {
    const row = rows.find((r) => r.path === c.path);
    if (!row) continue;
    byCase.set(c.name, row);
    const first = server.hits.find((h) => h.path === c.path)?.at ?? started;
    caseMs.set(c.name, Date.parse(row.lastFetched) - first);
  }
  return { server, summary, healthy, rows, byCase, caseMs, wallMs, rssGrowth };
}

export async function pageRows(rt: Runtime, crawlId: string): Promise<PageRow[]> {
  const rows = await storeDb(rt.store)
    .selectFrom('pages')
    .select(['url', 'state', 'status', 'fail_reason', 'fail_message', 'title', 'text', 'last_fetched'])
    .where('crawl_id', '=', crawlId)
    .execute();
  return rows.map((r) => {
    const u = new URL(r.url);
    return {
      url: r.url,
      path: u.pathname + u.search,
      state: r.state,
      status: r.status,
      failReason: r.fail_reason,
      failMessage: r.fail_message,
      title: r.title,
      textLength: r.text.length,
      text: r.text,
      lastFetched: r.last_fetched,
    };
  });
}

/** The standard assertions of one case against its run. */
export function assertCase(run: HostileRun, c: HostileCase): void {
  const row = run.byCase.get(c.name);
  expect(row, `${c.name}: no page row for ${c.path} (a silently dropped URL)`).toBeDefined();
  if (!row) return;
  const detail = `${c.name}: ${row.state} ${row.failReason ?? ''} ${row.failMessage ?? ''}`;
  expect([c.expect.state].flat(), detail).toContain(row.state);
  if (c.expect.reason !== undefined && row.state === 'failed')
    expect([c.expect.reason].flat(), detail).toContain(row.failReason);
  if (row.state === 'failed') expect(row.failMessage, detail).toBeTruthy();
  expect(row.textLength, detail).toBeLessThanOrEqual(c.expect.maxText ?? MAX_TEXT_CHARS);
  c.check?.(row, run.rows, run.summary);
}

/** The healthy page after the hostile ones: fetched, classified as a lead, no failure. */
export async function assertHealthy(rt: Runtime, run: HostileRun): Promise<void> {
  expect(run.healthy).not.toBeNull();
  if (!run.healthy) return;
  const rows = await pageRows(rt, run.healthy.crawlId);
  expect(rows.map((r) => [r.path, r.state, r.failMessage])).toEqual([[HEALTHY_PATH, 'fetched', null]]);
  expect(run.healthy.failed).toBe(0);
  expect(run.healthy.leads).toBe(1);
}

/** The slowest cases, for the report. */
export function slowest(run: HostileRun, n = 5): string {
  return [...run.caseMs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => `${name} ${ms} ms`)
    .join(', ');
}
