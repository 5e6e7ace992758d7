#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the TypeScript CLI, so `npx spiderweb` works in a checkout right after `npm install`: src/ is
// bundled by esbuild into node_modules/.cache/spiderweb/ (once per change of a source file) and the
// bundle is imported. One bundle starts faster and holds ~50 MB less than transpiling module by module
// (tsx keeps a loader thread and every transpiled module). The bundle links a source map: run with
// NODE_OPTIONS=--enable-source-maps for stack traces in src/ terms.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

process.env.DOTENV_CONFIG_QUIET ??= 'true';
// Memory (test/bench/crawl.ts): the first line starts node with a young generation of 2 x 4 MB instead of
// 2 x 16 MB. A crawl's garbage is short-lived, so the smaller one collects as well: against 2 x 8 MB, 10 MB
// less RSS at 5,000 pages, 35 MB less at 50,000, and no measurable loss of pages/s. The flag is
// process-wide, so it also sizes the evidence writer thread, whose gzip buffers wait outside the heap for
// its next scavenge (a Worker's resourceLimits cannot undo it). V8 sizes it when the process starts, so it
// can only be set there; run this file itself (`npx spiderweb`, `bin/spiderweb.js`), not through
// `node bin/spiderweb.js`.
// A crawl allocates fast and keeps little (~40 MB live): by default V8 lets the heap grow to about four
// times what survived the last full GC before collecting again, so a worker sat near 300 MB. Growing by
// half keeps it near 200 MB for ~5% more CPU (test/bench/crawl.ts). `node --heap-growing-percent=N` wins.
if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) {
  setFlagsFromString('--heap-growing-percent=50');
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.cache', 'spiderweb');

/** Changes whenever a file under src/ (or this script) does: names the bundle built from them. */
function sourceKey() {
  const hash = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url)));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const s = statSync(path);
        hash.update(`${path}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  walk(join(root, 'src'));
  return hash.digest('hex').slice(0, 16);
}

/** Bundles src/cli/main.ts (dependencies stay in node_modules); returns the bundle's path. */
async function bundle() {
  const out = join(cacheDir, `cli-${sourceKey()}.mjs`);
  if (existsSync(out)) return out;
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    outfile: out,
    logLevel: 'error',
    plugins: [
      {
        // Modules find their files (bundled config, review assets) from import.meta.url: keep each one's own.
        name: 'own-import-meta-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll(
              'import.meta.url',
              JSON.stringify(pathToFileURL(args.path).href),
            ),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  mkdirSync(cacheDir, { recursive: true });
  // Written under a private name and renamed: processes starting at once never import half a file.
  // The map first, so that a bundle in place always has its map.
  for (const file of result.outputFiles.sort((a, b) => b.path.length - a.path.length)) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  // Bundles of older sources go (a process still running one has it in memory already).
  const current = out.split('/').pop();
  for (const name of readdirSync(cacheDir)) {
    if (/^cli-.*\.mjs(\.map)?$/.test(name) && !name.startsWith(current))
      rmSync(join(cacheDir, name), { force: true });
  }
  return out;
}

const { main } = await import(pathToFileURL(await bundle()).href);
process.exit(await main(process.argv));
