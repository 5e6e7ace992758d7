/**
 * Browser-mode benchmark: a local market of JavaScript-rendered listing pages (each page is a
 * shell that fetches its listings as JSON, then builds the DOM), rendered through BrowserPool with
 * 4 pages in parallel. Prints pages/s and the node process's peak RSS. Target: >= 10 pages/s.
 *
 *   npx tsx test/bench/browser.ts [pages=200] [concurrency=4]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { BrowserPool } from '../../src/crawl/browser/index.ts';
import type { RenderOptions } from '../../src/crawl/browser/index.ts';
import { listingItems, shellPage } from '../helpers/browser-fixtures.ts';
import { procCpu } from './proc.ts';

const PAGES = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 4);

const server = http.createServer((req, res) => {
  const path = req.url ?? '/';
  const page = /^\/l\/(\d+)$/.exec(path);
  if (page) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(shellPage(`/api/l/${page[1]}`, `Listing page ${page[1]}`));
    return;
  }
  const api = /^\/api\/l\/(\d+)$/.exec(path);
  if (api) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(listingItems(Number(api[1]) * 30, 30)));
    return;
  }
  res.writeHead(path.endsWith('.png') ? 200 : 404, { 'content-type': 'image/png' });
  res.end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/**
 * CPU time (ms) used so far by this process and every descendant (Chromium and its renderers),
 * live or already reaped, from /proc. Lets a run on a busy machine still say what a page costs.
 */
function treeCpuMs(): number {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const pid of all) {
    const st = procCpu(pid);
    if (st) {
      parent.set(pid, st.ppid);
      cpu.set(pid, st.ownMs + st.reapedChildrenMs);
    }
  }
  let total = 0;
  for (const pid of all) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += cpu.get(pid) ?? 0;
        break;
      }
    }
  }
  return total;
}

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

async function run(label: string, opts: RenderOptions): Promise<void> {
  const pool = new BrowserPool({ maxConcurrentPages: CONCURRENCY });
  await pool.render(`${origin}/l/0`, opts); // launch + warm-up, not measured
  let next = 1;
  let ok = 0;
  let failed = 0;
  let links = 0;
  const started = performance.now();
  const cpuBefore = treeCpuMs();
  const worker = async () => {
    while (next <= PAGES) {
      const n = next++;
      try {
        const page = await pool.render(`${origin}/l/${n}`, opts);
        if (!page.text.includes('30 listings')) throw new Error(`page ${n} rendered without its listings`);
        links += page.text.match(/href="\/listing\//g)?.length ?? 0;
        ok++;
      } catch (err) {
        failed++;
        console.error(`page ${n}:`, err instanceof Error ? err.message : err);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (performance.now() - started) / 1000;
  const cpuPerPage = (treeCpuMs() - cpuBefore) / Math.max(1, ok);
  const stats = pool.stats();
  await pool.close();
  console.log(
    `${label.padEnd(26)} ${ok}/${PAGES} pages in ${secs.toFixed(1)} s = ${(ok / secs).toFixed(1)} pages/s` +
      ` (${failed} failed, ${links} listing links, ${stats.launches} browser launches, ${stats.requestsBlocked} requests blocked)`,
  );
  const cores = os.cpus().length;
  console.log(
    `${''.padEnd(26)} CPU per page ${cpuPerPage.toFixed(0)} ms (node + Chromium): ${cores} idle cores would do at most ${((cores * 1000) / cpuPerPage).toFixed(1)} pages/s`,
  );
}

const load = () => os.loadavg()[0]?.toFixed(1);
console.log(`browser bench: ${PAGES} JS-rendered listing pages, ${CONCURRENCY} pages in parallel, ${origin}`);
console.log(
  `machine: ${os.cpus().length} CPUs, load average ${load()} (other work on the machine skews pages/s)`,
);
await run("waitFor 'load' (default)", { siteId: 'bench', allowPrivateNetwork: true });
await run('waitFor selector #ready', {
  siteId: 'bench',
  allowPrivateNetwork: true,
  waitFor: { selector: '#ready' },
});
clearInterval(sampler);
console.log(
  `peak RSS of the node process: ${(peakRss / 1024 / 1024).toFixed(0)} MB; load average now ${load()}`,
);
server.close();
