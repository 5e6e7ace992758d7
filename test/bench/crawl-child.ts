/**
 * The floor of the crawl benchmark (`test/bench/crawl.ts`), run in its own process so that its RSS is
 * its own: a plain undici + cheerio BFS over the site (links and text extracted, no queues, no
 * storage). Prints a human line on stderr and one JSON line on stdout: `{ pages, seconds, pagesPerSec, ... }`.
 *
 *   node --import tsx test/bench/crawl-child.ts --url http://127.0.0.1:PORT/ --concurrency 16
 */
import { parseArgs } from 'node:util';
import { load } from 'cheerio';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
  },
});
const root = values.url;
if (!root) {
  console.error('usage: crawl-child.ts --url URL [--concurrency N]');
  process.exit(2);
}
const concurrency = Number(values.concurrency);

/** BFS with `concurrency` fetchers sharing one frontier; ends when the frontier is empty and nothing is in flight. */
async function floor() {
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
  return { concurrency, pages, failed, leads: 0, seconds, pagesPerSec: pages / seconds };
}

const result = await floor();
console.error(
  `[floor c=${concurrency}] ${result.pages} pages in ${result.seconds.toFixed(1)} s = ${result.pagesPerSec.toFixed(0)} pages/s`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
