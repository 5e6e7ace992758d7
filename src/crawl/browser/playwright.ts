import { createRequire } from 'node:module';
import type * as Playwright from 'playwright-core';

const require = createRequire(import.meta.url);
let loaded: typeof Playwright | null = null;

/**
 * playwright-core, loaded on first use: it costs about 90 MB of memory, which a worker whose sites
 * never render in a browser should not pay.
 */
export function playwright(): typeof Playwright {
  loaded ??= require('playwright-core') as typeof Playwright;
  return loaded;
}
