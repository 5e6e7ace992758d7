/**
 * Crawl throughput and memory: a generated local market of N listing pages (~10 KB, ~30 links each),
 * crawled by the full pipeline (fetch + parse + classify + store, through Redis queues) at the given
 * concurrencies, beside a plain undici + cheerio loop over the same site (the floor).
 *
 *   npx tsx test/bench/crawl.ts [--listings 5000] [--concurrency 16,64] [--runs 1]
 *
 * Needs Redis at REDIS_URL or 127.0.0.1:6379. Prints one line per run and a JSON summary.
 */
import { parseArgs } from 'node:util';
import { load } from 'cheerio';
import { Agent, request } from 'undici';
import { siteSchema } from '../../src/config/index.ts';
import { openRuntime, runCrawl } from '../../src/runtime/index.ts';
import { startGeneratedSite } from '../helpers/generated-site.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';

const { values } = parseArgs({
  options: {
    listings: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16,64' },
    runs: { type: 'string', default: '1' },
  },
});
const listings = Number(values.listings);
const concurrencies = values.concurrency.split(',').map(Number);
const runs = Number(values.runs);

const site = await startGeneratedSite({ listings, linksPerListing: 30, bodyBytes: 9000, leadEvery: 10 });
const total = site.paths.length;

/** The floor: one process, undici + cheerio, BFS over the same links, no queues, no storage. */
async function floor(concurrency: number): Promise<number> {
  const agent = new Agent({ connections: concurrency });
  const seen = new Set<string>([site.url]);
  const queue = [site.url];
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const url = queue.shift();
      if (!url) {
        if (done + 0 >= seen.size) return;
        await new Promise((r) => setTimeout(r, 1));
        if (queue.length === 0 && inflight === 0) return;
        continue;
      }
      inflight++;
      const res = await request(url, { dispatcher: agent });
      const $ = load(await res.body.text());
      $('a[href]').each((_, el) => {
        const abs = new URL($(el).attr('href')!, url).href;
        if (abs.startsWith(site.url) && !seen.has(abs)) {
          seen.add(abs);
          queue.push(abs);
        }
      });
      $('body').text();
      inflight--;
      done++;
    }
  };
  let inflight = 0;
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  if (done !== total) throw new Error(`floor fetched ${done} of ${total}`);
  return done / seconds;
}

async function pipeline(
  concurrency: number,
): Promise<{ pagesPerSec: number; peakRssMb: number; leads: number }> {
  const dir = tempDir();
  const config = await testConfig(dir.path);
  const rt = await openRuntime(config);
  let peak = 0;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    const summary = await runCrawl(rt, {
      sites: [
        siteSchema.parse({
          id: 'bench',
          seeds: [site.url],
          allowPrivateNetwork: true,
          maxDepth: 5,
          maxPages: total + 10,
        }),
      ],
      workers: { fetch: concurrency, classify: 4 },
    });
    if (summary.pages !== total) throw new Error(`pipeline fetched ${summary.pages} of ${total}`);
    return { pagesPerSec: summary.pagesPerSec, peakRssMb: Math.round(peak / 1e6), leads: summary.leads };
  } finally {
    clearInterval(sample);
    await rt.close();
    await dropPrefix(config.runtime.redis.prefix);
    dir.remove();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, unknown> = { listings, pages: total };
for (const c of concurrencies) {
  const f: number[] = [];
  const p: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    f.push(await floor(c));
    const r = await pipeline(c);
    p.push(r.pagesPerSec);
    rss.push(r.peakRssMb);
  }
  const row = {
    floorPagesPerSec: Math.round(median(f)),
    pipelinePagesPerSec: Math.round(median(p)),
    ratio: Math.round((median(p) / median(f)) * 100) / 100,
    peakRssMb: Math.max(...rss),
  };
  results[`concurrency${c}`] = row;
  console.log(
    `concurrency ${c}: floor ${row.floorPagesPerSec} pages/s, pipeline ${row.pipelinePagesPerSec} pages/s (${Math.round(row.ratio * 100)}% of floor), peak RSS ${row.peakRssMb} MB`,
  );
}
console.log(JSON.stringify(results));
await site.close();
