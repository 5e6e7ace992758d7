/**
 * Crawl throughput and memory (issue 3): a generated local market of N listing pages (~10 KB, ~30 links
 * each) served by this process, crawled by
 *   - the floor: a plain undici + cheerio BFS (links and text extracted, no queues, no storage;
 *     `test/bench/crawl-child.ts`), and
 *   - opt-in (`--baselines plain,crawlee`): Crawlee's CheerioCrawler, crawl only, at the same concurrency
 *     (`test/bench/crawlee.ts`; issue 16's target: pipeline >= 2x its pages/s), and
 *   - the full pipeline: the real `spiderweb crawl` command (`bin/spiderweb.js`, in-process workers:
 *     fetch + parse + classify + store, through the real Redis queues, a temp SQLite store, evidence
 *     archived) on a config directory written for the run,
 * each in its OWN child process, so the RSS sampled (every 100 ms from /proc/<pid>/status, peak =
 * max(samples, VmHWM)) is the crawler's own. Medians over `--runs`.
 *
 *   npx tsx test/bench/crawl.ts [--listings 5000] [--concurrency 16,64] [--runs 3] [--classify 4] [--market sparse|lead-heavy]
 *                               [--baselines plain,crawlee|none] [--pipeline-only] [--profile DIR] [--heap-profile DIR] [--worker-processes K]
 *
 * `--baselines` picks the baselines run before the pipeline in each run: `plain` (the floor, the default),
 * `crawlee`, both, or `none` (= `--pipeline-only`).
 * `--worker-processes K` runs K `spiderweb worker` processes beside the crawl (the scale-out deployment);
 * the fetch concurrency is split evenly over the 1 + K processes, and the peak RSS is the largest of them.
 * `--profile DIR` runs the pipeline children with `--cpu-prof --cpu-prof-dir=DIR` (node started with the flags
 * of the bin's `#!` line, as the file itself would be; Node 20 refuses --cpu-prof in NODE_OPTIONS).
 * `--heap-profile DIR` does the same with `--heap-prof`: sampled allocations still live when the crawl
 * exits, i.e. what a worker holds on to (caches, leaks).
 * "Ready to crawl" RSS is the last sample before the site saw its first request. "Peak first seen at" is
 * the share of the site's pages requested when the peak was reached: near 100%, RSS grew all along; far
 * from it, a spike (the high-water mark catches one between two samples).
 * CPU per page (user + system over all threads, from the first request on) is printed beside pages/s:
 * on a shared host the machine's speed changes from run to run, and CPU per page moves less.
 * Beside it, the machine's CPU per pipeline page: the crawler's, the Redis server's (INFO cpu) and this
 * process's (the site's server), and the pages/s they allow with every core busy (the ceiling of this host).
 * Targets: pipeline >= 45% of the floor's pages/s, peak RSS < 250 MB, RSS flat as the site grows
 * (RSS is printed at 10/25/50/75/100% of the pages fetched). Needs Redis at REDIS_URL or 127.0.0.1:6379.
 * Prints human lines and a final JSON line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { Redis } from 'ioredis';
import { startGeneratedSite } from '../helpers/generated-site.ts';
import { shebangEnv, shebangFlags } from '../helpers/processes.ts';
import { dropPrefix, REDIS_URL, repoRoot, tempDir } from '../helpers/runtime.ts';
import { memOf, procCpu } from './proc.ts';

const { values } = parseArgs({
  options: {
    listings: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16,64' },
    runs: { type: 'string', default: '3' },
    classify: { type: 'string', default: '4' },
    'pipeline-only': { type: 'boolean', default: false },
    baselines: { type: 'string', default: 'plain' },
    profile: { type: 'string' },
    'heap-profile': { type: 'string' },
    'worker-processes': { type: 'string', default: '0' },
    market: { type: 'string', default: 'sparse' },
  },
});
const listings = Number(values.listings);
const concurrencies = values.concurrency.split(',').map(Number);
const runs = Number(values.runs);
const workerProcesses = Number(values['worker-processes']);
const baselines = new Set(
  values['pipeline-only'] ? [] : values.baselines.split(',').filter((b) => b !== 'none'),
);
for (const b of baselines)
  if (b !== 'plain' && b !== 'crawlee') throw new Error(`--baselines takes plain, crawlee or none, got ${b}`);
const CHECKPOINTS = [0.1, 0.25, 0.5, 0.75, 1];
const MB = 1024 * 1024;

// `sparse`: one listing in ten sells, each with one of five shared handles. `lead-heavy`: a real market —
// 70% of listings sell, vendors of 50 listings each name their own handle and wallet, every page's
// footer carries the market's support e-mail and Telegram (which must not join vendors into one cluster),
// and listings are written as sellers write them (`varied`: sentences, article codes, buyers' reviews),
// so each page brings words the classifier has not met.
if (values.market !== 'sparse' && values.market !== 'lead-heavy')
  throw new Error(`--market must be sparse or lead-heavy, got ${values.market}`);
const leadHeavy = values.market === 'lead-heavy';
const site = await startGeneratedSite({
  listings,
  linksPerListing: 30,
  bodyBytes: 9000,
  ...(leadHeavy ? { leadShare: 0.7, vendorSize: 50, footer: true, varied: true } : { leadEvery: 10 }),
});
const total = site.paths.length;
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

type Role = 'floor' | 'crawlee' | 'pipeline';

/** What a run reports (the floor's or Crawlee's child's JSON line, or the fields of `spiderweb crawl --json` used here). */
interface ChildResult {
  pages: number;
  failed: number;
  leads: number;
  pagesPerSec: number;
}

interface RunOutcome {
  result: ChildResult;
  peakRss: number;
  /** When the peak was first seen: share of the site's pages requested by then, and seconds into the run. */
  peakAt: { progress: number; seconds: number };
  /** RSS just before the site saw the first request: modules loaded, runtime open. */
  readyRss: number;
  /** RSS (bytes) when 10/25/50/75/100% of the site's pages had been requested. */
  checkpoints: { progress: number; rss: number; seconds: number }[];
  /** Pages requested more than once. */
  refetched: number;
  /**
   * CPU time (user + system, all threads) of the crawling processes from the first request to the end,
   * ms: steadier than pages/s on a shared host, where the machine's speed varies from run to run.
   */
  cpuMs: number;
  /** CPU time of the Redis server over the run (from INFO; any other client's work on it counts too), ms. */
  redisMs: number;
  /** CPU time of this process over the run: the generated site's server, ms. */
  siteMs: number;
  /** Clusters of leads in the store after a pipeline run. */
  clusters: number | null;
  load: number[];
}

const redis = new Redis(REDIS_URL);
/** The Redis server's CPU time so far (user + system, ms). */
async function redisCpuMs(): Promise<number> {
  const info = await redis.info('cpu');
  const v = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (v('used_cpu_user') + v('used_cpu_sys')) * 1000;
}

let runNo = 0;

/**
 * A config directory for one pipeline run: production worker settings, a private Redis prefix, a temp
 * data dir, and the one site (the bundled lexicons are used).
 */
function pipelineConfig(prefix: string, dataDir: string): string {
  const dir = join(dataDir, 'config');
  mkdirSync(join(dir, 'sites'), { recursive: true });
  writeFileSync(
    join(dir, 'spiderweb.yaml'),
    [
      `redis: { url: ${JSON.stringify(REDIS_URL)}, prefix: ${prefix} }`,
      `dataDir: ${JSON.stringify(join(dataDir, 'data'))}`,
      `concurrency: { classify: ${Number(values.classify)} }`,
      'workers: { lockMs: 30000, shutdownGraceMs: 20000 }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'sites', 'bench.yaml'),
    [
      'id: bench',
      `seeds: [${JSON.stringify(site.url)}]`,
      'allowPrivateNetwork: true',
      'robots: ignore',
      'politeness: { maxRps: 1000, maxConcurrent: 64 }',
      'evidence: { screenshots: false }',
      'traps: { maxPagesPerPattern: 100000 }',
      'maxDepth: 10',
      'maxPages: 1000000',
      '',
    ].join('\n'),
  );
  return dir;
}

async function runChild(role: Role, concurrency: number): Promise<RunOutcome> {
  site.hits.clear();
  const startLoad = load();
  const prefix = `bench-${process.pid}-${++runNo}`;
  const dir = role === 'pipeline' ? tempDir('spiderweb-bench-') : null;
  const configDir = dir ? pipelineConfig(prefix, dir.path) : '';
  const redisBefore = await redisCpuMs();
  const siteBefore = process.cpuUsage();
  const perProcess = role === 'pipeline' ? Math.ceil(concurrency / (1 + workerProcesses)) : concurrency;
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  // The bin is run as an operator runs `npx spiderweb`: the file itself, so its `#!` line's node flags apply.
  // Node 20 refuses --cpu-prof in NODE_OPTIONS, so a profiled run starts node itself with the `#!` flags and environment.
  const bin = join(repoRoot, 'bin', 'spiderweb.js');
  const runBin = (args: string[], stdout: 'ignore' | 'pipe') => {
    const flags = [
      ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []),
      ...(values['heap-profile'] ? ['--heap-prof', `--heap-prof-dir=${values['heap-profile']}`] : []),
    ];
    const [cmd, ...pre] = flags.length ? [process.execPath, ...shebangFlags(bin), ...flags, bin] : [bin];
    const runEnv = flags.length ? { ...env, ...shebangEnv(bin) } : env;
    return spawn(cmd!, [...pre, ...args], {
      cwd: repoRoot,
      env: runEnv,
      stdio: ['ignore', stdout, 'inherit'],
    });
  };
  const workers = Array.from({ length: role === 'pipeline' ? workerProcesses : 0 }, () =>
    runBin(['--config', configDir, 'worker', '--concurrency', String(perProcess)], 'ignore'),
  );
  const child =
    role === 'pipeline'
      ? runBin(
          ['--config', configDir, 'crawl', '--site', 'bench', '--concurrency', String(perProcess), '--json'],
          'pipe',
        )
      : spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            join(import.meta.dirname, role === 'crawlee' ? 'crawlee.ts' : 'crawl-child.ts'),
            '--url',
            site.url,
            '--concurrency',
            String(concurrency),
          ],
          { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] },
        );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the child');
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const started = performance.now();
  let peak = 0;
  /** Where the crawl was when the peak was first seen: share of pages requested (1 = all: the crawl's end). */
  let peakAt = { progress: 0, seconds: 0 };
  let readyRss = 0;
  const cpu = new Map<number, number>();
  let readyCpu = 0;
  const cpuNow = () => [...cpu.values()].reduce((a, b) => a + b, 0);
  const checkpoints: RunOutcome['checkpoints'] = [];
  const sample = () => {
    const mem = memOf(pid);
    if (!mem) return;
    const before = peak;
    peak = Math.max(peak, mem.rss, mem.hwm);
    for (const w of workers) {
      const m = w.pid === undefined ? null : memOf(w.pid);
      if (m) peak = Math.max(peak, m.rss, m.hwm);
    }
    if (peak > before)
      peakAt = { progress: site.hits.size / total, seconds: (performance.now() - started) / 1000 };
    for (const p of [pid, ...workers.map((w) => w.pid)]) {
      const ms = p === undefined ? undefined : procCpu(p)?.ownMs;
      if (p !== undefined && ms !== undefined) cpu.set(p, ms);
    }
    if (site.hits.size === 0) {
      readyRss = mem.rss;
      readyCpu = cpuNow();
    }
    // Distinct paths requested so far: the crawl's progress as the site sees it.
    const progress = site.hits.size / total;
    while (checkpoints.length < CHECKPOINTS.length && progress >= CHECKPOINTS[checkpoints.length]!) {
      checkpoints.push({
        progress: CHECKPOINTS[checkpoints.length]!,
        rss: mem.rss,
        seconds: (performance.now() - started) / 1000,
      });
    }
  };
  const timer = setInterval(sample, 100);
  const [code] = await once(child, 'exit');
  clearInterval(timer);
  const own = process.cpuUsage(siteBefore);
  const siteMs = (own.user + own.system) / 1000;
  const redisMs = (await redisCpuMs()) - redisBefore;
  for (const w of workers) {
    w.kill('SIGTERM');
    if (w.exitCode === null) await once(w, 'exit');
  }
  let clusters: number | null = null;
  if (dir) {
    await dropPrefix(prefix);
    if (code === 0) {
      const db = new SQLite(join(dir.path, 'data', 'spiderweb.sqlite'), { readonly: true });
      clusters = (db.prepare('select count(distinct cluster_id) as n from leads').get() as { n: number }).n;
      db.close();
    }
    dir.remove();
  }
  if (code !== 0) throw new Error(`${role} child exited with ${code}`);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const result = JSON.parse(line) as ChildResult;
  if (role === 'pipeline')
    console.error(`[pipeline c=${concurrency}] ${result.pages} pages = ${result.pagesPerSec} pages/s`);
  if (result.pages !== total || result.failed !== 0)
    throw new Error(`${role}: ${result.pages} pages of ${total}, ${result.failed} failed`);
  const refetched = [...site.hits.values()].filter((n) => n !== 1).length;
  const cpuMs = cpuNow() - readyCpu;
  return {
    result,
    peakRss: peak,
    peakAt,
    readyRss,
    checkpoints,
    refetched,
    cpuMs,
    redisMs,
    siteMs,
    clusters,
    load: startLoad,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

console.log(
  `site (${values.market}): ${listings} listings (${site.leads} sales by ${site.vendors} vendors), ${total} pages, ~${Math.round((9000 + 30 * 40) / 1024)} KB and 30 links per listing; runs ${runs}; worker processes ${workerProcesses}; load ${load().join(' ')}`,
);
const results: Record<string, unknown> = {
  listings,
  pages: total,
  runs,
  workerProcesses,
  startLoad: load(),
};
try {
  for (const c of concurrencies) {
    const floors: RunOutcome[] = [];
    const crawlees: RunOutcome[] = [];
    const pipes: RunOutcome[] = [];
    for (let i = 0; i < runs; i++) {
      if (baselines.has('plain')) {
        const f = await runChild('floor', c);
        floors.push(f);
        console.log(
          `  c=${c} run ${i + 1} floor:    ${round(f.result.pagesPerSec)} pages/s, CPU ${round(f.cpuMs / f.result.pages, 2)} ms/page, peak RSS ${round(f.peakRss / MB)} MB (load ${f.load.join(' ')})`,
        );
      }
      if (baselines.has('crawlee')) {
        const k = await runChild('crawlee', c);
        crawlees.push(k);
        console.log(
          `  c=${c} run ${i + 1} crawlee:  ${round(k.result.pagesPerSec)} pages/s, CPU ${round(k.cpuMs / k.result.pages, 2)} ms/page, peak RSS ${round(k.peakRss / MB)} MB, ${k.refetched} refetched (load ${k.load.join(' ')})`,
        );
      }
      const p = await runChild('pipeline', c);
      pipes.push(p);
      console.log(
        `  c=${c} run ${i + 1} pipeline: ${round(p.result.pagesPerSec)} pages/s, CPU ${round(p.cpuMs / p.result.pages, 2)} ms/page, peak RSS ${round(p.peakRss / MB)} MB, ${p.result.leads} leads in ${p.clusters} clusters (${site.vendors} vendors), ${p.refetched} refetched (load ${p.load.join(' ')})`,
      );
      console.log(
        `      RSS ready-to-crawl ${round(p.readyRss / MB)} MB; at ${p.checkpoints.map((k) => `${k.progress * 100}%: ${round(k.rss / MB)} MB`).join(', ')}; peak first seen at ${round(p.peakAt.progress * 100)}% (${round(p.peakAt.seconds)} s)`,
      );
    }
    const floorPps = floors.length ? median(floors.map((f) => f.result.pagesPerSec)) : null;
    const pipePps = median(pipes.map((p) => p.result.pagesPerSec));
    const peakRssMb = round(Math.max(...pipes.map((p) => p.peakRss)) / MB);
    const ratio = floorPps ? pipePps / floorPps : null;
    // RSS trend of the median-speed pipeline run: growth from 25% to 100% of the pages fetched.
    const mid = [...pipes].sort((a, b) => a.result.pagesPerSec - b.result.pagesPerSec)[
      Math.floor(pipes.length / 2)
    ]!;
    const at = (p: number) => mid.checkpoints.find((k) => k.progress === p)?.rss;
    const growthMb = at(0.25) !== undefined && at(1) !== undefined ? round((at(1)! - at(0.25)!) / MB) : null;
    // The machine's CPU per page in the pipeline runs: crawler + Redis + the site's server. With every core
    // busy, this host cannot do more than `cores / total` pages/s, however the work is spread.
    const perPage = (runs: RunOutcome[], f: (r: RunOutcome) => number) =>
      median(runs.map((r) => f(r) / r.result.pages));
    const machine = {
      pipeline: perPage(pipes, (p) => p.cpuMs),
      redis: perPage(pipes, (p) => p.redisMs),
      site: perPage(pipes, (p) => p.siteMs),
    };
    const floorCpu = floors.length ? perPage(floors, (f) => f.cpuMs) : null;
    const crawleePps = crawlees.length ? median(crawlees.map((k) => k.result.pagesPerSec)) : null;
    const crawleeCpu = crawlees.length ? perPage(crawlees, (k) => k.cpuMs) : null;
    const vsCrawlee = crawleePps ? pipePps / crawleePps : null;
    const cores = availableParallelism();
    const ceilingPps = (cores * 1000) / (machine.pipeline + machine.redis + machine.site);
    const row = {
      floorPagesPerSec: floorPps === null ? null : round(floorPps),
      floorPeakRssMb: floors.length ? round(median(floors.map((f) => f.peakRss)) / MB) : null,
      pipelinePagesPerSec: round(pipePps),
      pipelineRuns: pipes.map((p) => round(p.result.pagesPerSec)),
      pipelineCpuMsPerPage: round(machine.pipeline, 2),
      floorCpuMsPerPage: floorCpu === null ? null : round(floorCpu, 2),
      floorRuns: floors.map((f) => round(f.result.pagesPerSec)),
      crawleePagesPerSec: crawleePps === null ? null : round(crawleePps),
      crawleeCpuMsPerPage: crawleeCpu === null ? null : round(crawleeCpu, 2),
      crawleePeakRssMb: crawlees.length ? round(median(crawlees.map((k) => k.peakRss)) / MB) : null,
      crawleeRuns: crawlees.map((k) => round(k.result.pagesPerSec)),
      ratio: ratio === null ? null : round(ratio, 3),
      pipelineVsCrawlee: vsCrawlee === null ? null : round(vsCrawlee, 2),
      peakRssMb,
      medianPeakRssMb: round(median(pipes.map((p) => p.peakRss)) / MB),
      readyRssMb: round(median(pipes.map((p) => p.readyRss)) / MB),
      rssCheckpointsMb: mid.checkpoints.map((k) => ({
        progress: k.progress,
        rssMb: round(k.rss / MB),
        seconds: round(k.seconds, 1),
      })),
      rssGrowth25to100Mb: growthMb,
      redisCpuMsPerPage: round(machine.redis, 2),
      siteCpuMsPerPage: round(machine.site, 2),
      cores,
      ceilingPagesPerSec: round(ceilingPps),
      ceilingRatio: floorPps ? round(ceilingPps / floorPps, 3) : null,
      leads: mid.result.leads,
      clusters: mid.clusters,
      vendors: site.vendors,
      loads: [...floors, ...crawlees, ...pipes].map((r) => r.load[0]),
      targets: {
        ratioAtLeast45pct: ratio === null ? null : ratio >= 0.45,
        atLeast2xCrawlee: vsCrawlee === null ? null : vsCrawlee >= 2,
        peakRssUnder250Mb: peakRssMb < 250,
      },
    };
    results[`concurrency${c}`] = row;
    console.log(
      `concurrency ${c}: floor ${row.floorPagesPerSec ?? '-'} pages/s, pipeline ${row.pipelinePagesPerSec} pages/s` +
        ` (${ratio === null ? '-' : `${round(ratio * 100)}% of floor; target >= 45%`}),` +
        ` CPU per page ${row.floorCpuMsPerPage ?? '-'} / ${row.pipelineCpuMsPerPage} ms` +
        (row.floorCpuMsPerPage
          ? ` (pipeline ${round(row.pipelineCpuMsPerPage / row.floorCpuMsPerPage, 1)}x the floor),`
          : ',') +
        ` peak worker RSS ${peakRssMb} MB (target < 250), RSS growth 25%->100%: ${growthMb ?? '-'} MB`,
    );
    if (vsCrawlee !== null)
      console.log(
        `  vs Crawlee: ${row.crawleePagesPerSec} pages/s, CPU ${row.crawleeCpuMsPerPage} ms/page, peak RSS ${row.crawleePeakRssMb} MB;` +
          ` pipeline ${round(vsCrawlee, 2)}x Crawlee's pages/s (target >= 2x)`,
      );
    console.log(
      `  machine CPU per pipeline page: crawler ${round(machine.pipeline, 2)} + Redis ${round(machine.redis, 2)}` +
        ` + site server ${round(machine.site, 2)} ms; with all ${cores} cores busy at most ${round(ceilingPps)} pages/s` +
        (floorPps ? ` (${round((ceilingPps / floorPps) * 100)}% of the floor)` : ''),
    );
  }
} finally {
  await site.close();
  redis.disconnect();
}
results.endLoad = load();
console.log(JSON.stringify(results));
