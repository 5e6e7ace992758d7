/**
 * Screenshots of captured HTML for evidence (pages fetched over HTTP): rendered in a sealed
 * context that cannot reach the network at all, so hostile markup cannot phone home or probe the
 * unit's network: JavaScript off, the context offline, every request aborted by a route, and a
 * proxy that refuses every connection for anything that slips past routing (preconnects).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { TransientError } from '../../errors.ts';
import { withDeadline } from './util.ts';

export async function createSealedContext(browser: Browser, refusingProxy: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    javaScriptEnabled: false,
    offline: true,
    acceptDownloads: false,
    serviceWorkers: 'block',
    viewport: { width: 1280, height: 800 },
    proxy: { server: refusingProxy },
  });
  await ctx.route('**/*', (route) => route.abort('blockedbyclient').catch(() => {}));
  return ctx;
}

/** Full-page PNG of `html` set into a fresh page of the sealed context. */
export async function screenshotSealed(
  context: BrowserContext,
  html: string,
  baseUrl: string,
  deadline: number,
): Promise<Buffer> {
  const page = await context.newPage();
  try {
    page.on('dialog', (d) => void d.dismiss().catch(() => {}));
    const remaining = () => Math.max(1, deadline - Date.now());
    return await withDeadline(
      (async () => {
        await page.setContent(html, { waitUntil: 'load', timeout: remaining() });
        return page.screenshot({ fullPage: true, type: 'png', timeout: remaining() });
      })(),
      deadline,
      () => new TransientError('timeout', `screenshot of ${baseUrl} did not finish in time`),
    );
  } finally {
    await page.close({ runBeforeUnload: false }).catch(() => {});
  }
}
