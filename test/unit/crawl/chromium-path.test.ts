import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (p) => existsSync(p),
);

describe('resolveChromiumPath', () => {
  // playwright-core holds about 50 MB of a worker's memory; every crawl checks for a browser at start.
  it.skipIf(!SYSTEM_CHROMIUM)('finds the system Chromium without loading playwright-core', async () => {
    const script = `
      const { register } = await import('tsx/esm/api');
      register();
      const { createRequire } = await import('node:module');
      const { resolveChromiumPath } = await import('./src/crawl/browser/index.ts');
      const path = resolveChromiumPath(undefined, {});
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('playwright-core'));
      console.log(JSON.stringify({ path, loaded }));`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { cwd: repoRoot, timeout: 30_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
    expect(JSON.parse(out.trim())).toEqual({ path: SYSTEM_CHROMIUM, loaded: false });
  });
});
