/**
 * The Crawlee baseline of the crawl benchmark (`test/bench/crawl.ts --baselines plain,crawlee`, issue 16):
 * Crawlee's CheerioCrawler over the same generated site, crawl only — same-hostname link enqueueing and the
 * body's text read, as the floor does; no classification, no storage of ours. Run in its own process so its
 * RSS and CPU are its own. Crawlee's storage is in memory (nothing persisted) under a temp directory that is
 * purged at start and removed at the end; its pool is pinned at the bench's concurrency (min = max, so its
 * autoscaling neither ramps up from 1 nor backs off when the shared host's CPU looks busy), no rate limit.
 * Prints a human line on stderr and one JSON line on stdout:
 * `{ pages, failed, seconds, pagesPerSec, cpuMsPerPage, peakRssMb, ... }`.
 *
 *   node --import tsx test/bench/crawlee.ts --url http://127.0.0.1:PORT/ --concurrency 16
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CheerioCrawler, Configuration, log } from '@crawlee/cheerio';

/** Crawl `url`'s host with CheerioCrawler at `concurrency`; pages, time, CPU and peak RSS of this process. */
export async function crawleeCrawl(url: string, concurrency: number) {
  const storageDir = mkdtempSync(join(tmpdir(), 'spiderweb-crawlee-'));
  log.setLevel(log.LEVELS.WARNING);
  const config = new Configuration({
    persistStorage: false,
    purgeOnStart: true,
    storageClientOptions: { localDataDirectory: storageDir, persistStorage: false, writeMetadata: false },
  });
  let pages = 0;
  let failed = 0;
  let textBytes = 0;
  const crawler = new CheerioCrawler(
    {
      minConcurrency: concurrency,
      maxConcurrency: concurrency,
      maxRequestRetries: 0,
      async requestHandler({ $, enqueueLinks }) {
        await enqueueLinks({ strategy: 'same-hostname' });
        textBytes += $('body').text().length;
        pages++;
      },
      failedRequestHandler() {
        failed++;
      },
    },
    config,
  );
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await crawler.run([url]);
  } finally {
    rmSync(storageDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (textBytes === 0) throw new Error('crawlee extracted no text');
  return {
    concurrency,
    pages,
    failed,
    leads: 0,
    seconds,
    pagesPerSec: pages / seconds,
    cpuMsPerPage: (used.user + used.system) / 1000 / pages,
    // maxRSS is in kilobytes.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, concurrency: { type: 'string', default: '16' } },
  });
  if (!values.url) {
    console.error('usage: crawlee.ts --url URL [--concurrency N]');
    process.exit(2);
  }
  const result = await crawleeCrawl(values.url, Number(values.concurrency));
  console.error(
    `[crawlee c=${result.concurrency}] ${result.pages} pages in ${result.seconds.toFixed(1)} s = ${result.pagesPerSec.toFixed(0)} pages/s`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
