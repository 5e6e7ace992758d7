import { existsSync } from 'node:fs';
import { NonRetryableError } from '../../errors.ts';
import { playwright } from './playwright.ts';

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * Which Chromium to drive: `configured`, else `SPIDERWEB_CHROMIUM`, else Playwright's bundled
 * Chromium when it is installed, else the first of `/usr/bin/chromium`, `/usr/bin/chromium-browser`,
 * `/usr/bin/google-chrome` that exists. Throws NonRetryableError('browser') naming what to install.
 */
export function resolveChromiumPath(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = configured ?? env.SPIDERWEB_CHROMIUM;
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new NonRetryableError('browser', `Chromium not found at ${explicit} (configured path)`);
    }
    return explicit;
  }
  const candidates: string[] = [];
  try {
    candidates.push(playwright().chromium.executablePath());
  } catch {
    // playwright-core throws when it has no bundled browser for this platform
  }
  candidates.push(...SYSTEM_PATHS);
  const found = candidates.find((p) => p !== '' && existsSync(p));
  if (found) return found;
  throw new NonRetryableError(
    'browser',
    `no Chromium found (looked in ${candidates.join(', ')}): install it with \`apt-get install -y chromium\` or set SPIDERWEB_CHROMIUM to its path`,
  );
}
