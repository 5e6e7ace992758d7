#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// The `spiderweb` command: runs the CLI built at install into dist/cli.mjs (`npm run build` after
// editing src/). Node's flags are on the first line because V8 sizes the heap when the process starts:
// - a young generation of 2 x 4 MB instead of 2 x 16 MB: a crawl's garbage is short-lived, so the smaller
//   one collects as well; against 2 x 8 MB, 10 MB less RSS at 5,000 pages, 35 MB less at 50,000, and no
//   measurable loss of pages/s (test/bench/crawl.ts). It also sizes the evidence writer thread.
// - the heap grows by half, not about four times what survived the last full GC, before collecting
//   again: a worker sits near 200 MB instead of 300 MB for ~5% more CPU.
// `node bin/spiderweb.js` works too, without those settings.
import { existsSync } from 'node:fs';

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
