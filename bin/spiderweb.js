#!/usr/bin/env -S MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 --heap-growing-percent=50
// The `spiderweb` command: runs the CLI built at install into dist/cli.mjs (`npm run build` after
// editing src/). The settings are on the first line because glibc's malloc and V8 size themselves when
// the process starts:
// - glibc's malloc (Linux; other C libraries ignore them): one arena for all threads instead of one per
//   thread that allocates, and blocks of 128 KB or more mapped and unmapped on their own instead of the
//   threshold rising with each one freed: the evidence writer thread's buffers no longer stay behind in
//   an arena of its own. 236 against 257 MB peak RSS at 50,000 listings, and no more CPU per page.
// - a young generation of 2 x 4 MB instead of 2 x 16 MB: a crawl's garbage is short-lived, so the smaller
//   one collects as well; against 2 x 8 MB, 10 MB less RSS at 5,000 pages, 35 MB less at 50,000, and no
//   measurable loss of pages/s (test/bench/crawl.ts). It also sizes the evidence writer thread.
// - the heap grows by half, not about four times what survived the last full GC, before collecting
//   again: a worker sits near 200 MB instead of 300 MB for ~5% more CPU.
// `node bin/spiderweb.js` works too, without those settings.
import { existsSync } from 'node:fs';

// For this process only: glibc read them at start, and Chromium or Redis started from here allocate their own way.
delete process.env.MALLOC_ARENA_MAX;
delete process.env.MALLOC_MMAP_THRESHOLD_;
process.env.DOTENV_CONFIG_QUIET ??= 'true';
const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'spiderweb: the CLI is not built: run `npm install` (or `npm run build`) in its directory\n',
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exit(await main(process.argv));
