/**
 * Runs once before the test files (vitest `globalSetup`):
 * - builds the CLI into dist/ (`npm run build`), so tests that spawn `bin/spiderweb.js` run this
 *   checkout's code;
 * - looks for Chromium and PostgreSQL. When one is missing, the suites that need it are skipped and
 *   ONE line says what to install; with `CI=true` a missing one fails the run instead (`.ci/run`
 *   installs both). The result reaches the test processes in `SPIDERWEB_TEST_MISSING`
 *   (see test/helpers/requirements.ts).
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { resolveChromiumPath } from '../src/crawl/browser/index.ts';
import { PG_URL } from './helpers/db.ts';
import { repoRoot } from './helpers/runtime.ts';

const INSTALL = { chromium: 'chromium', postgres: 'postgresql' } as const;
type Need = keyof typeof INSTALL;

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function hasChromium(): boolean {
  try {
    resolveChromiumPath(process.env.CHROMIUM_PATH);
    return true;
  } catch {
    return false;
  }
}

export default async function setup(): Promise<void> {
  execFileSync(process.execPath, ['bin/build.js'], { cwd: repoRoot, stdio: 'inherit' });
  const missing: Need[] = [];
  if (!hasChromium()) missing.push('chromium');
  if (!(await postgresAnswers())) missing.push('postgres');
  process.env.SPIDERWEB_TEST_MISSING = missing.join(',');
  if (!missing.length) return;
  const what = `${missing.map((m) => (m === 'chromium' ? 'Chromium' : `PostgreSQL at ${PG_URL}`)).join(' and ')}`;
  const install = `apt-get install -y ${missing.map((m) => INSTALL[m]).join(' ')}`;
  if (process.env.CI === 'true')
    throw new Error(`CI=true and no ${what}: the suites that need it are required (${install})`);
  process.stderr.write(`skipping the suites that need ${what}: install with \`${install}\`\n`);
}
