/**
 * The evidence bundle where analysts open it: a real crawl of the demo market seals its leads, the
 * market is shut, and ReplayWeb.page (Webrecorder's own replayer, in Chromium) must show each chosen
 * listing from its WACZ alone, as the README promises.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Config, siteSchema } from '../../src/config/index.ts';
import { demoSiteInput, startDemoMarket } from '../../src/demo/index.ts';
import { buildBundle } from '../../src/evidence/index.ts';
import type { LeadRow } from '../../src/leads/index.ts';
import { openRuntime, type Runtime, runCrawl } from '../../src/runtime/index.ts';
import { replayedFrame, startReplayServer } from '../helpers/replay.ts';
import { needsReplayWebPage } from '../helpers/requirements.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';
import { launchChromium } from './review-browser.ts';

needsReplayWebPage('evidence bundles replayed in ReplayWeb.page (a real crawl of the demo market)', () => {
  let dir: ReturnType<typeof tempDir>;
  let config: Config;
  let rt: Runtime;
  let browser: Browser;
  let marketOrigin: string;
  const bundles: Array<{ lead: LeadRow; wacz: Buffer; identifiers: string[] }> = [];

  beforeAll(async () => {
    const market = await startDemoMarket({ host: '127.0.0.1', port: 0 });
    marketOrigin = new URL(market.url).origin;
    dir = tempDir();
    config = await testConfig(dir.path);
    rt = await openRuntime(config);
    try {
      await runCrawl(rt, {
        sites: [siteSchema.parse(demoSiteInput(market.url))],
        workers: { fetch: 4, classify: 2 },
        progressMs: 50,
      });
    } finally {
      // Shut before anything is replayed: what the replay shows can only come from the bundle.
      await market.close();
    }
    const leads = await rt.store.leads();
    // A listing in Cyrillic and one in Chinese.
    for (const script of [/\p{Script=Cyrillic}/u, /\p{Script=Han}/u]) {
      const lead = leads.find((l) => script.test(l.title));
      if (!lead) throw new Error(`the demo crawl found no lead titled in ${script}`);
      const { data } = await buildBundle({ store: rt.store, evidence: rt.evidence }, lead.id);
      const identifiers = (await rt.store.pageIdentifiers(lead.page_id)).map((i) => i.value);
      bundles.push({ lead, wacz: Buffer.from(data), identifiers });
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rt?.close();
    if (config) await dropPrefix(config.runtime.redis.prefix);
    dir?.remove();
  });

  it('shows each listing, its title and its seller, from the WACZ alone', { timeout: 120_000 }, async () => {
    for (const { lead, wacz, identifiers } of bundles) {
      const server = await startReplayServer(wacz, lead.url);
      try {
        const frame = await replayedFrame(browser, server, lead.title).catch((e: Error) => {
          throw new Error(`lead ${lead.id} (${lead.url}) was not replayed: ${e.message}`);
        });
        // The frame is the replayer's archive view of the captured URL, not the live page.
        expect(frame.url).toContain(`/replay/w/`);
        expect(frame.url).toContain(lead.url);
        // The seller's contacts on the page, as captured (a card's digits as grouped on the page).
        expect(identifiers.length).toBeGreaterThan(0);
        const squash = (s: string) => s.toLowerCase().replace(/[\s-]+/g, '');
        const text = squash(frame.text);
        expect(identifiers.filter((v) => !text.includes(squash(v)))).toEqual([]);
        expect(frame.requests.filter((u) => u.startsWith(marketOrigin))).toEqual([]);
        // The bundle was read over HTTP range requests of our server, entry by entry.
        expect(server.hits.filter((h) => h.path === '/bundle.wacz').length).toBeGreaterThan(1);
      } finally {
        await server.close();
      }
    }
  });
});
