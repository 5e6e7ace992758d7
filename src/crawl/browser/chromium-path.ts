import { existsSync } from 'node:fs';
import { NonRetryableError } from '../../errors.ts';
import { playwright } from './playwright.ts';

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * Which Chromium to drive: `configured`, else `SPIDERWEB_CHROMIUM`, else the first of
 * `/usr/bin/chromium`, `/usr/bin/chromium-browser`, `/usr/bin/google-chrome` that exists, else
 * Playwright's bundled Chromium when it is installed. The system paths come first so that finding a
 * browser (every crawl's start-up check) does not load playwright-core, about 50 MB of a worker's
 * memory. Throws NonRetryableError('browser') naming what to install.
 */
export function resolveChromiumPath(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = configured ?? env.SPIDERWEB_CHROMIUM;
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new NonRetryableError('browser', `Chromium not found at ${explicit} (configured path)`);
    }
    return explicit;
  }
  const system = SYSTEM_PATHS.find((p) => existsSync(p));
  if (system) return system;
  const candidates = [...SYSTEM_PATHS];
  try {
    const bundled = playwright().chromium.executablePath();
    if (bundled !== '' && existsSync(bundled)) return bundled;
    candidates.push(bundled);
  } catch {
    // playwright-core throws when it has no bundled browser for this platform
  }
  throw new NonRetryableError(
    'browser',
    `no Chromium found (looked in ${candidates.join(', ')}): install it with \`apt-get install -y chromium\` or set SPIDERWEB_CHROMIUM to its path`,
  );
}
