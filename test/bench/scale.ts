/**
 * Scale-out benchmark (issue 8):
 *  1. crawl throughput with 1, 2 and 4 `spiderweb worker` PROCESSES on one Redis and one store
 *     (PostgreSQL by default), the scheduler being `runCrawl(..., { workers: null })` in this process,
 *     over the generated market of crawl.ts (N listings, ~10 KB, 30 links each); worker RSS sampled
 *     every 100 ms from /proc; CPU per page of the worker processes, and of the whole host (Redis, the
 *     store's server, the site and this scheduler included: what decides pages/s once no core is idle);
 *  2. Redis memory per queued URL, on a PRIVATE redis-server: admit + enqueue N URLs through the real
 *     code path (`admitLinks` → `CrawlState.admitMany`, then `Queues.addFetch`), in batches of 30 links
 *     as a fetched page does, and report (used_memory after − before) / N, with the dedup set alone
 *     measured separately.
 * Memory over a 50,000-listing crawl is `crawl.ts --listings 50000`.
 *
 *   npx tsx test/bench/scale.ts [--listings 5000] [--workers 1,2,4] [--concurrency 16] [--classify 4]
 *                               [--runs 1] [--store postgres|sqlite] [--urls 20000] [--only crawl|redis]
 *                               [--market sparse|lead-heavy] [--profile DIR] [--round-trips]
 *
 * `--profile DIR` runs each worker with `--cpu-prof`, its profile in `DIR/<n>-workers-run-<r>/`.
 * `--round-trips` counts the queries the workers send to PostgreSQL (BEGIN and COMMIT included), per page.
 * Needs Redis at REDIS_URL (the crawl part), `redis-server` on PATH (the memory part) and, for
 * `--store postgres`, the test PostgreSQL (SPIDERWEB_TEST_PG_URL). Prints human lines and a final JSON line.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig, type SiteConfig, siteSchema } from '../../src/config/index.ts';
import { admitLinks } from '../../src/crawl/index.ts';
import { CrawlState, type FetchJob, newCrawlId, Queues } from '../../src/queue/index.ts';
import { openRuntime, runCrawl } from '../../src/runtime/index.ts';
import { type Backend, testDb } from '../helpers/db.ts';
import { startGeneratedSite } from '../helpers/generated-site.ts';
import {
  freePort,
  spawnWorker,
  startRedis,
  type WorkerProcess,
  workerMetricsUrl,
  writeConfigDir,
} from '../helpers/processes.ts';
import { dropPrefix, REDIS_URL, tempDir, testPrefix } from '../helpers/runtime.ts';
import { hostCpu, memOf, procCpu } from './proc.ts';

const { values } = parseArgs({
  options: {
    listings: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '1,2,4' },
    concurrency: { type: 'string', default: '16' },
    classify: { type: 'string', default: '4' },
    runs: { type: 'string', default: '1' },
    store: { type: 'string', default: 'postgres' },
    urls: { type: 'string', default: '20000' },
    only: { type: 'string' },
    market: { type: 'string', default: 'sparse' },
    profile: { type: 'string' },
    'round-trips': { type: 'boolean', default: false },
  },
});
const MB = 1024 * 1024;
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const results: Record<string, unknown> = { startLoad: load() };

/** A process's RSS, the larger of now and its peak so far (0 once it has gone). */
function rssOf(pid: number): number {
  const m = memOf(pid);
  return m ? Math.max(m.rss, m.hwm) : 0;
}

async function crawlThroughput(): Promise<void> {
  const listings = Number(values.listings);
  const counts = values.workers.split(',').map(Number);
  const runs = Number(values.runs);
  const backend = values.store as Backend;
  if (backend !== 'postgres' && backend !== 'sqlite') throw new Error('--store postgres|sqlite');
  // `sparse`: one listing in ten sells; `lead-heavy`: 70% sell, vendors of 50 listings with their own
  // handle and wallet, the market's contacts in every footer, listings written as sellers write them
  // (as crawl.ts --market lead-heavy).
  if (values.market !== 'sparse' && values.market !== 'lead-heavy')
    throw new Error(`--market must be sparse or lead-heavy, got ${values.market}`);
  const site = await startGeneratedSite({
    listings,
    linksPerListing: 30,
    bodyBytes: 9000,
    ...(values.market === 'lead-heavy'
      ? { leadShare: 0.7, vendorSize: 50, footer: true, varied: true }
      : { leadEvery: 10 }),
  });
  const total = site.paths.length;
  const dir = tempDir('spiderweb-scale-');
  const siteConfig = (): SiteConfig =>
    siteSchema.parse({
      id: 'bench',
      seeds: [site.url],
      allowPrivateNetwork: true,
      robots: 'ignore',
      politeness: { maxRps: 1000, maxConcurrent: 64 },
      evidence: { screenshots: false },
      traps: { maxPagesPerPattern: 100_000 },
      maxPages: total + 100,
      maxDepth: 10,
    });
  console.log(
    `crawl: ${listings} listings (${total} pages, ${values.market} market), ${backend} store, per worker --concurrency ${values.concurrency} --classify-concurrency ${values.classify}, runs ${runs}`,
  );
  const rows: Record<string, unknown>[] = [];
  try {
    // Runs alternate between the process counts (1, 3, 1, 3, ...): this host's speed drifts by tens of
    // percent over minutes, and all runs of one count back to back would compare moments, not counts.
    const of = new Map(
      counts.map((n) => [
        n,
        {
          pps: [] as number[],
          peaks: [] as number[],
          loads: [] as number[],
          cpu: [] as Array<{ workerMs: number; hostMs: number; idle: number }>,
        },
      ]),
    );
    for (let run = 0; run < runs; run++) {
      for (const n of counts) {
        const { pps, peaks, loads, cpu } = of.get(n)!;
        const db = await testDb(backend);
        const prefix = testPrefix();
        const configDir = writeConfigDir(join(dir.path, `w${n}-${run}`), {
          redisUrl: REDIS_URL,
          prefix,
          dataDir: db.dataDir,
          storeUrl: db.url,
          // Production lock settings: the tests' 2 s locks let jobs stall (and be refetched) under load.
          lockMs: 30_000,
          stalledCheckMs: 30_000,
          shutdownGraceMs: 20_000,
        });
        const workers: WorkerProcess[] = [];
        // `--round-trips`: each worker counts its queries to PostgreSQL (pg-round-trips.mjs) into this directory.
        const trips = values['round-trips'] ? mkdtempSync(join(dir.path, 'round-trips-')) : null;
        if (trips) process.env.SPIDERWEB_BENCH_ROUND_TRIPS = trips;
        let pages = 0;
        const rt = await openRuntime(await loadConfig(configDir, { env: {} }));
        const peak = new Map<number, number>();
        const timer = setInterval(() => {
          for (const w of workers) {
            const pid = w.child.pid;
            if (pid !== undefined) peak.set(pid, Math.max(peak.get(pid) ?? 0, rssOf(pid)));
          }
        }, 100);
        try {
          for (let i = 0; i < n; i++)
            workers.push(
              spawnWorker(
                configDir,
                [
                  '--concurrency',
                  values.concurrency,
                  '--classify-concurrency',
                  values.classify,
                  '--metrics-port',
                  '0',
                ],
                [
                  ...(values.profile
                    ? ['--cpu-prof', `--cpu-prof-dir=${join(values.profile, `${n}-workers-run-${run + 1}`)}`]
                    : []),
                  ...(trips ? ['--import', join(import.meta.dirname, 'pg-round-trips.mjs')] : []),
                ],
              ),
            );
          await withTimeout(
            Promise.all(workers.map((w) => w.ready)),
            120_000,
            () => `workers not ready:\n${workers.map((w) => w.log()).join('\n')}`,
          );
          site.hits.clear();
          loads.push(load()[0]!);
          const cpuOf = () => workers.reduce((ms, w) => ms + (procCpu(w.child.pid!)?.ownMs ?? 0), 0);
          const [workerStart, hostStart] = [cpuOf(), hostCpu()];
          const summary = await runCrawl(rt, { sites: [siteConfig()], workers: null, progressMs: 100 });
          pages = summary.pages;
          const [workerEnd, hostEnd] = [cpuOf(), hostCpu()];
          const commits = await groupCommits(workers);
          const refetched = [...site.hits.values()].filter((h) => h !== 1).length;
          if (summary.pages !== total || summary.failed !== 0)
            throw new Error(`${n} workers: ${summary.pages} pages of ${total}, ${summary.failed} failed`);
          const rate = summary.pages / summary.seconds;
          pps.push(rate);
          const workerMs = (workerEnd - workerStart) / summary.pages;
          const hostMs = (hostEnd.busyMs - hostStart.busyMs) / summary.pages;
          const idle =
            (hostEnd.idleMs - hostStart.idleMs) /
            (hostEnd.idleMs - hostStart.idleMs + hostEnd.busyMs - hostStart.busyMs);
          cpu.push({ workerMs, hostMs, idle });
          if (commits)
            console.log(
              `  SQLite group commit: ${round(commits.writes / commits.commits, 1)} writes per commit, ${round(commits.busyWaits / summary.pages, 2)} busy waits per page`,
            );
          const workerPeaks = [...peak.values()];
          peaks.push(Math.max(...workerPeaks));
          console.log(
            `  ${n} worker(s) run ${run + 1}: ${round(rate)} pages/s (${summary.pages} pages in ${summary.seconds} s, ${summary.leads} leads, ${refetched} refetched), worker peak RSS ${workerPeaks.map((b) => round(b / MB)).join('/')} MB; CPU per page: workers ${workerMs.toFixed(2)} ms, whole host ${hostMs.toFixed(2)} ms, host idle ${Math.round(idle * 100)}% (load ${loads.at(-1)})`,
          );
        } finally {
          clearInterval(timer);
          for (const w of workers) w.child.kill('SIGTERM');
          const codes = await Promise.all(workers.map((w) => w.exited));
          if (trips && pages) {
            const sent = readdirSync(trips).reduce(
              (sum, f) => sum + Number(readFileSync(join(trips, f), 'utf8')),
              0,
            );
            console.log(
              `  round trips to the store per page: ${round(sent / pages, 1)} (all workers, start-up included)`,
            );
          }
          if (codes.some((c) => c !== 0)) console.log(`  worker exit codes: ${codes.join(', ')}`);
          await rt.close();
          await dropPrefix(prefix);
          await db.drop();
        }
      }
    }
    for (const [n, { pps, peaks, loads, cpu }] of of) {
      rows.push({
        workers: n,
        pagesPerSec: round(median(pps)),
        runs: pps.map((x) => round(x)),
        peakWorkerRssMb: round(Math.max(...peaks) / MB),
        workerCpuMsPerPage: round(median(cpu.map((c) => c.workerMs)), 2),
        hostCpuMsPerPage: round(median(cpu.map((c) => c.hostMs)), 2),
        hostIdle: round(median(cpu.map((c) => c.idle)), 2),
        loads,
      });
    }
  } finally {
    await site.close();
    dir.remove();
  }
  const one = rows.find((r) => r.workers === 1)?.pagesPerSec as number | undefined;
  for (const r of rows) {
    if (one) r.speedupVs1 = round((r.pagesPerSec as number) / one, 2);
    console.log(
      `${r.workers} worker process(es): ${r.pagesPerSec} pages/s${one ? ` (x${r.speedupVs1} vs 1)` : ''}, peak worker RSS ${r.peakWorkerRssMb} MB, CPU per page ${r.workerCpuMsPerPage} ms in workers and ${r.hostCpuMsPerPage} ms on the whole host (idle ${Math.round((r.hostIdle as number) * 100)}%)`,
    );
  }
  results.crawl = { listings, pages: total, store: backend, concurrency: Number(values.concurrency), rows };
}

/** SQLite's group commit counts summed over the workers' /metrics; null on PostgreSQL. */
async function groupCommits(workers: WorkerProcess[]) {
  const sum = { commits: 0, writes: 0, busyWaits: 0 };
  for (const w of workers) {
    const text = await (await fetch(workerMetricsUrl(w)!)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    sum.commits += value('spiderweb_sqlite_commits_total');
    sum.writes += value('spiderweb_sqlite_writes_total');
    sum.busyWaits += value('spiderweb_sqlite_busy_waits_total');
  }
  return Number.isNaN(sum.commits) ? null : sum;
}

async function withTimeout<T>(p: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why())), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Redis bytes per queued URL, on a private redis-server so that nothing else is counted. */
async function redisMemory(): Promise<void> {
  const n = Number(values.urls);
  const dir = tempDir('spiderweb-redis-');
  const port = await freePort();
  const server: ChildProcess = await startRedis(port, dir.path);
  const conn = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
  const prefix = testPrefix();
  const queues = new Queues(conn, prefix);
  const state = new CrawlState(conn, prefix);
  // Persistence off: AOF buffers are not what a queued URL costs.
  await conn.config('SET', 'appendonly', 'no');
  const used = async () => {
    const info = await conn.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
  };
  const host = 'http://127.0.0.1:8080/';
  const site = siteSchema.parse({
    id: 'bench',
    seeds: [host],
    allowPrivateNetwork: true,
    maxPages: 10_000_000,
    maxDepth: 10,
    traps: { maxPagesPerPattern: 10_000_000 },
  });
  const crawlId = newCrawlId();
  await state.start(crawlId, [site]);
  const perPage = 30;
  /** Admits (and enqueues, unless `admitOnly`) the links `/item/<from>` ... `/item/<to - 1>`, 30 per page. */
  const feed = async (from: number, to: number, admitOnly: boolean): Promise<number> => {
    let admitted = 0;
    for (let i = from; i < to; i += perPage) {
      const k = Math.floor(i / 50);
      const parent: FetchJob = {
        crawlId,
        siteId: site.id,
        url: `${host}page/${k}`,
        depth: 1,
        foundVia: 'link',
        referrer: host,
      };
      const links = Array.from({ length: Math.min(perPage, to - i) }, (_, j) => `${host}item/${i + j}`);
      const { jobs } = await admitLinks(parent, site, links, state);
      admitted += jobs.length;
      if (!admitOnly && jobs.length) await queues.addFetch(jobs);
    }
    return admitted;
  };
  try {
    // Warm-up: scripts loaded, queue meta and crawl keys created.
    await feed(10_000_000, 10_000_000 + 300, false);
    await feed(20_000_000, 20_000_000 + 300, true);

    // The dedup set alone (what stays per URL after its job is done and removed).
    const seen0 = await used();
    const seenAdmitted = await feed(30_000_000, 30_000_000 + n, true);
    const seen1 = await used();
    const seenPerUrl = (seen1 - seen0) / seenAdmitted;

    // Admit + enqueue (what a URL costs while it waits in the fetch queue).
    const checkpoints: { urls: number; bytes: number }[] = [];
    const base = await used();
    const step = Math.ceil(n / 4);
    let done = 0;
    while (done < n) {
      const to = Math.min(n, done + step);
      const admitted = await feed(done, to, false);
      if (admitted !== to - done) throw new Error(`admitted ${admitted} of ${to - done}`);
      done = to;
      checkpoints.push({ urls: done, bytes: (await used()) - base });
    }
    const waiting = await queues.fetch.getWaitingCount();
    const perUrl = checkpoints.at(-1)!.bytes / n;
    const lastTwo = checkpoints.slice(-2);
    const marginal =
      lastTwo.length === 2
        ? (lastTwo[1]!.bytes - lastTwo[0]!.bytes) / (lastTwo[1]!.urls - lastTwo[0]!.urls)
        : perUrl;
    console.log(
      `redis: ${n} URLs admitted + enqueued (${waiting} waiting): ${round(perUrl)} bytes per queued URL` +
        ` (marginal over the last ${lastTwo.length === 2 ? lastTwo[1]!.urls - lastTwo[0]!.urls : n}: ${round(marginal)} B);` +
        ` of which the dedup set ${round(seenPerUrl)} B/URL (stays until the crawl's keys expire)`,
    );
    console.log(
      `       cumulative: ${checkpoints.map((c) => `${c.urls}: ${round(c.bytes / MB, 1)} MB (${round(c.bytes / c.urls)} B/URL)`).join(', ')}`,
    );
    results.redis = {
      urls: n,
      waiting,
      bytesPerQueuedUrl: round(perUrl),
      marginalBytesPerUrl: round(marginal),
      dedupSetBytesPerUrl: round(seenPerUrl),
      checkpoints,
      load: load(),
    };
  } finally {
    await queues.close();
    conn.disconnect();
    server.kill('SIGTERM');
    await once(server, 'exit');
    dir.remove();
  }
}

console.log(`load ${load().join(' ')}`);
if (values.only !== 'redis') await crawlThroughput();
if (values.only !== 'crawl') await redisMemory();
results.endLoad = load();
console.log(JSON.stringify(results));
process.exit(0);
