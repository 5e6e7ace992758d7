import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../../helpers/runtime.ts';

/**
 * `npm run check`'s structure rules, run as `check` runs them (the `boundaries` and `cycles` scripts of
 * package.json) on a small tree with one import that bypasses a folder's index.ts and one cycle made
 * only of type imports, and on this repository.
 */

const run = promisify(execFile);
const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<
  string,
  string
>;
const dir = tempDir();
afterAll(() => dir.remove());

async function sh(command: string, cwd: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run('sh', ['-c', command], {
      cwd,
      env: { ...process.env, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

function plant(root: string): void {
  mkdirSync(join(root, 'src/a'), { recursive: true });
  mkdirSync(join(root, 'src/b'), { recursive: true });
  mkdirSync(join(root, 'workers'), { recursive: true });
  writeFileSync(join(root, 'src/log.ts'), 'export const log = 1;\n');
  writeFileSync(join(root, 'src/a/index.ts'), "export { p } from './p.ts';\n");
  writeFileSync(join(root, 'src/a/p.ts'), "import { q } from './q.ts';\nexport const p = () => q;\n");
  writeFileSync(
    join(root, 'src/a/q.ts'),
    "import type { p } from './p.ts';\nexport const q = 1;\nexport type P = typeof p;\n",
  );
  writeFileSync(
    join(root, 'src/b/x.ts'),
    "import { log } from '../log.ts';\nimport { p } from '../a/index.ts';\nimport { q } from '../a/q.ts';\nexport const y = [log, p, q];\n",
  );
  writeFileSync(join(root, 'workers/w.ts'), "import { y } from '../src/b/x.ts';\nexport { y };\n");
}

describe('npm run check: folder boundaries and cycles', () => {
  it('reports an import that bypasses index.ts, with file and line', async () => {
    plant(dir.path);
    const r = await sh(`node ${join(repoRoot, 'bin/check-imports.js')} .`, dir.path);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "src/b/x.ts:3: imports '../a/q.ts', inside src/a/; import it from src/a/index.ts",
    );
    expect(r.out).not.toContain('x.ts:1');
    expect(r.out).not.toContain('x.ts:2');
  });

  it('reports a cycle even when one side imports only types', async () => {
    const r = await sh(scripts.cycles!, dir.path);
    expect(r.code).toBe(1);
    expect(r.out).toContain('src/a/p.ts -> src/a/q.ts');
  });

  it('this repository passes both', async () => {
    expect(await sh(scripts.boundaries!, repoRoot)).toMatchObject({ code: 0 });
    const cycles = await sh(scripts.cycles!, repoRoot);
    expect(cycles.out).toContain('no circular dependency');
    expect(cycles.code).toBe(0);
  }, 60_000);
});
