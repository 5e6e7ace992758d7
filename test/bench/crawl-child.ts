/**
 * One side of the crawl benchmark, run in its own process so that its RSS is its own (the site server
 * lives in the parent, `test/bench/crawl.ts`). Prints human lines on stderr and one JSON line on stdout:
 * `{ pages, seconds, pagesPerSec, ... }`.
 *
 *   node --import tsx test/bench/crawl-child.ts --role floor    --url http://127.0.0.1:PORT/ --concurrency 16
 *   node --import tsx test/bench/crawl-child.ts --role pipeline --url http://127.0.0.1:PORT/ --concurrency 16 \
 *     [--classify 4] [--max-pages N]
 *
 * floor: a plain undici + cheerio BFS over the site (links and text extracted, no queues, no storage).
 * pipeline: `runCrawl` with in-process workers (fetch + parse + classify + store, through the real Redis
 * queues, a temp SQLite store), the one-machine `spiderweb crawl`. Needs Redis at REDIS_URL.
 */
import { parseArgs } from 'node:util';
import { load } from 'cheerio';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    url: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    classify: { type: 'string', default: '4' },
    'max-pages': { type: 'string', default: '10000000' },
  },
});
const role = values.role;
const root = values.url;
if ((role !== 'floor' && role !== 'pipeline') || !root) {
  console.error('usage: crawl-child.ts --role floor|pipeline --url URL [--concurrency N] [--classify N]');
  process.exit(2);
}
const concurrency = Number(values.concurrency);

export interface ChildResult {
  role: 'floor' | 'pipeline';
  concurrency: number;
  pages: number;
  failed: number;
  leads: number;
  seconds: number;
  pagesPerSec: number;
  /** RSS when ready to crawl (modules loaded, runtime open), bytes. */
  baselineRss: number;
  /** Peaks of `process.memoryUsage()` parts over the crawl (sampled every 250 ms), bytes: where the RSS goes. */
  memoryPeaks: { heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

const memoryPeaks = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const memorySampler = setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(memoryPeaks) as (keyof typeof memoryPeaks)[])
    memoryPeaks[k] = Math.max(memoryPeaks[k], m[k]);
}, 250);
memorySampler.unref();

/** BFS with `concurrency` fetchers sharing one frontier; ends when the frontier is empty and nothing is in flight. */
async function floor(): Promise<ChildResult> {
  const base = new URL(root!);
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  const seen = new Set<string>([base.href]);
  const frontier: string[] = [base.href];
  let head = 0;
  let inflight = 0;
  let pages = 0;
  let failed = 0;
  let textBytes = 0;
  let wake: (() => void)[] = [];
  const notify = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  const baselineRss = process.memoryUsage().rss;
  const started = performance.now();
  const fetcher = async () => {
    for (;;) {
      if (head >= frontier.length) {
        if (inflight === 0) {
          notify();
          return;
        }
        await new Promise<void>((r) => wake.push(r));
        continue;
      }
      const url = frontier[head++]!;
      inflight++;
      try {
        const res = await request(url, { dispatcher: agent });
        const html = await res.body.text();
        if (res.statusCode !== 200) {
          failed++;
          continue;
        }
        const $ = load(html);
        for (const el of $('a[href]')) {
          const href = $(el).attr('href');
          if (!href) continue;
          const abs = new URL(href, url);
          abs.hash = '';
          if (abs.origin !== base.origin || seen.has(abs.href)) continue;
          seen.add(abs.href);
          frontier.push(abs.href);
        }
        textBytes += $('body').text().length;
        pages++;
      } catch {
        failed++;
      } finally {
        inflight--;
        notify();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, fetcher));
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  if (textBytes === 0) throw new Error('floor extracted no text');
  return {
    role: 'floor',
    concurrency,
    pages,
    failed,
    leads: 0,
    seconds,
    pagesPerSec: pages / seconds,
    baselineRss,
    memoryPeaks,
  };
}

async function pipeline(): Promise<ChildResult> {
  // Imported here so that the floor's process does not load (and pay the memory of) Spiderweb.
  const { siteSchema } = await import('../../src/config/index.ts');
  const { openRuntime, runCrawl } = await import('../../src/runtime/index.ts');
  const { dropPrefix, tempDir, testConfig } = await import('../helpers/runtime.ts');
  const dir = tempDir('spiderweb-bench-');
  // Production lock settings (the test default of 2 s lets jobs stall and be refetched under load).
  const config = await testConfig(dir.path, {
    lockMs: 30_000,
    stalledCheckMs: 30_000,
    shutdownGraceMs: 20_000,
  });
  const rt = await openRuntime(config);
  try {
    const site = siteSchema.parse({
      id: 'bench',
      seeds: [root],
      allowPrivateNetwork: true,
      robots: 'ignore',
      politeness: { maxRps: 1000, maxConcurrent: 64 },
      evidence: { screenshots: false },
      traps: { maxPagesPerPattern: 100_000 },
      maxPages: Number(values['max-pages']),
      maxDepth: 10,
    });
    const baselineRss = process.memoryUsage().rss;
    const summary = await runCrawl(rt, {
      sites: [site],
      workers: { fetch: concurrency, classify: Number(values.classify) },
      progressMs: 100,
    });
    return {
      role: 'pipeline',
      concurrency,
      pages: summary.pages,
      failed: summary.failed,
      leads: summary.leads,
      seconds: summary.seconds,
      pagesPerSec: summary.pages / summary.seconds,
      baselineRss,
      memoryPeaks,
    };
  } finally {
    await rt.close();
    await dropPrefix(config.runtime.redis.prefix);
    dir.remove();
  }
}

const result = role === 'floor' ? await floor() : await pipeline();
console.error(
  `[${role} c=${concurrency}] ${result.pages} pages in ${result.seconds.toFixed(1)} s = ${result.pagesPerSec.toFixed(0)} pages/s`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
