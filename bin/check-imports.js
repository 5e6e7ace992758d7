#!/usr/bin/env node
// Folder boundaries: code in src/<folder>/ may import another folder of src/ only through an
// index.ts (that folder's, or one of its sub-folders'), so each folder's index.ts is its whole public
// surface. Top-level files (src/log.ts, src/errors.ts, src/paths.ts, src/unicode.ts) are shared by all. Prints each
// offending import as file:line and exits 1; exits 0 when there is none.
//
//   node bin/check-imports.js [root]      (root: the directory holding src/, default: this repo)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const src = join(root, 'src');

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(ts|mts|cts)$/.test(e.name)) yield p;
  }
}

/** The top-level folder of src/ a path is in, or null for a file directly in src/ (or outside it). */
function folderOf(path) {
  const rel = relative(src, path);
  if (rel.startsWith('..')) return null;
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : null;
}

const SPEC =
  /(?:^|[\s;])(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of files(src)) {
  const own = folderOf(file);
  if (own === null) continue;
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(SPEC)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    const other = folderOf(target);
    if (other === null || other === own) continue;
    if (/(^|[\\/])index\.ts$/.test(target)) continue;
    const line = text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
    problems.push(
      `${relative(root, file)}:${line}: imports '${spec}', inside src/${other}/; import it from src/${other}/index.ts`,
    );
  }
}
for (const p of problems) process.stderr.write(`${p}\n`);
if (problems.length) {
  process.stderr.write(`${problems.length} import(s) bypass a folder's index.ts\n`);
  process.exit(1);
}
