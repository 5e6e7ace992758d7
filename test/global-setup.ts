/**
 * Runs once before the test files (vitest `globalSetup`):
 * - builds the CLI into dist/ (`npm run build`), so tests that spawn `bin/spiderweb.js` run this
 *   checkout's code;
 * - looks for Chromium, PostgreSQL and ReplayWeb.page's files (`npm run fetch:replaywebpage`). When
 *   one is missing, the suites that need it are skipped and ONE line says what to install; with
 *   `CI=true` a missing one fails the run instead (`.ci/run` installs them). The result reaches the test processes in `SPIDERWEB_TEST_MISSING`
 *   (see test/helpers/requirements.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { resolveChromiumPath } from '../src/crawl/browser/index.ts';
import { PG_URL } from './helpers/db.ts';
import { REPLAYWEBPAGE_DIR } from './helpers/replay.ts';
import { repoRoot } from './helpers/runtime.ts';

const NEEDS = {
  chromium: { what: 'Chromium', install: 'apt-get install -y chromium' },
  postgres: { what: `PostgreSQL at ${PG_URL}`, install: 'apt-get install -y postgresql' },
  replaywebpage: { what: "ReplayWeb.page's ui.js and sw.js", install: 'npm run fetch:replaywebpage' },
} as const;
type Need = keyof typeof NEEDS;

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
  if (!existsSync(join(REPLAYWEBPAGE_DIR, 'sw.js'))) missing.push('replaywebpage');
  process.env.SPIDERWEB_TEST_MISSING = missing.join(',');
  if (!missing.length) return;
  const what = missing.map((m) => NEEDS[m].what).join(' and ');
  const install = missing.map((m) => NEEDS[m].install).join('; ');
  if (process.env.CI === 'true')
    throw new Error(`CI=true and no ${what}: the suites that need it are required (${install})`);
  process.stderr.write(`skipping the suites that need ${what}: install with \`${install}\`\n`);
}
