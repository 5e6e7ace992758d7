import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Config, siteSchema } from '../../src/config/index.ts';
import { type DemoMarket, demoSiteInput, startDemoMarket } from '../../src/demo/index.ts';
import type { Store } from '../../src/leads/index.ts';
import { addAnalyst, type ReviewServer, startReviewServer } from '../../src/review/index.ts';
import { parseReasons } from '../../src/review/reasons.ts';
import { openRuntime, type Runtime, runCrawl } from '../../src/runtime/index.ts';
import { needsChromium as needs } from '../helpers/requirements.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';
import {
  artifact,
  foreignRequests,
  launchChromium,
  signIn,
  type WatchedPage,
  watchedPage,
} from './review-browser.ts';

const PASSWORD = 'correct horse battery staple';

needs('review app in Chromium, over a store filled by a real crawl of the demo market', () => {
  let market: DemoMarket;
  let dir: ReturnType<typeof tempDir>;
  let config: Config;
  let rt: Runtime;
  let store: Store;
  let server: ReviewServer;
  let browser: Browser;
  let w: WatchedPage;

  beforeAll(async () => {
    market = await startDemoMarket({ host: '127.0.0.1', port: 0 });
    dir = tempDir();
    config = await testConfig(dir.path);
    rt = await openRuntime(config);
    await runCrawl(rt, {
      sites: [siteSchema.parse(demoSiteInput(market.url))],
      workers: { fetch: 8, classify: 2 },
      progressMs: 50,
    });
    store = rt.store;
    await addAnalyst(store, 'investigator', PASSWORD);
    server = await startReviewServer({ store, host: '127.0.0.1', port: 0, evidenceStore: rt.evidence });
    browser = await launchChromium();
    w = await watchedPage(browser);
  }, 120_000);

  afterAll(async () => {
    await w?.context.close();
    await browser?.close();
    await server?.close();
    await rt?.close();
    await market?.close();
    if (config) await dropPrefix(config.runtime.redis.prefix);
    dir?.remove();
  });

  it('signs in, filters the queue, shows a lead with its terms highlighted, records decisions, signs out', async () => {
    const { page } = w;
    const leads = await store.leads();
    expect(leads.length).toBeGreaterThan(5);

    await signIn(page, server.url, 'investigator', PASSWORD);
    expect(await page.locator('#queue tbody tr[data-id]').count()).toBe(Math.min(50, leads.length));

    // Filter: the substance of the most leads (two decisions follow), searched as an investigator would type it.
    const bySubstance = new Map<string, number>();
    for (const l of leads)
      for (const s of JSON.parse(l.substances) as string[]) bySubstance.set(s, (bySubstance.get(s) ?? 0) + 1);
    const substance = [...bySubstance].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
    const expected = leads.filter((l) => (JSON.parse(l.substances) as string[]).includes(substance));
    await page.fill('#filters input[name="substance"]', substance);
    await Promise.all([page.waitForURL(/substance=/), page.click('#filters button[type="submit"]')]);
    const rows = page.locator('#queue tbody tr[data-id]');
    expect(await rows.count()).toBe(expected.length);
    for (const cell of await rows.locator('td:nth-child(5)').allTextContents())
      expect(cell).toContain(substance);
    const queueShot = artifact('review-queue.png');
    await page.screenshot({ path: queueShot, fullPage: true });

    // Open the first lead: its matched terms are highlighted from the classifier's spans.
    const firstId = Number(await rows.first().getAttribute('data-id'));
    await Promise.all([page.waitForURL(/\/leads\/\d+/), rows.first().locator('td.title a').click()]);
    const lead = (await store.lead(firstId))!;
    // Stored one per term with a few spans (compactReasons); read back as the app reads them.
    const stored = parseReasons(lead.reasons);
    // The learned model's features are listed in their own table, not marked in the text.
    const reasons = stored.filter((r) => r.group !== 'learned' && r.in !== 'title' && r.span[1] > r.span[0]);
    const learned = stored.filter((r) => r.group === 'learned');
    expect(await page.locator('#learned tbody tr').count()).toBe(new Set(learned.map((r) => r.term)).size);
    const marks = await page.locator('#lead-text mark').allTextContents();
    expect(marks.length).toBeGreaterThan(0);
    // Every matched term is inside a mark (overlapping terms share one), and every mark is a matched term.
    for (const r of reasons)
      expect(
        marks.some((m) => m.includes(r.form)),
        r.form,
      ).toBe(true);
    for (const m of marks)
      expect(
        reasons.some((r) => m.includes(r.form)),
        m,
      ).toBe(true);
    expect(await page.locator('dd.url').first().textContent()).toBe(lead.url);
    expect(await page.locator(`a[href="${lead.url}"]`).count()).toBe(0);
    const leadShot = artifact('review-lead.png');
    await page.screenshot({ path: leadShot, fullPage: true });
    console.log(`screenshots: ${queueShot} ${leadShot}`);

    // Confirm with the keyboard (c): the app moves on to the next lead of the filtered queue.
    await Promise.all([page.waitForURL((u) => u.pathname !== `/leads/${firstId}`), page.keyboard.press('c')]);
    expect((await store.lead(firstId))!.status).toBe('confirmed');

    // Dismiss the next one as a false positive, with a note.
    const secondId = Number(/\/leads\/(\d+)/.exec(page.url())?.[1]);
    expect(secondId).toBeGreaterThan(0);
    await page.fill('#decide textarea[name="note"]', 'Harm-reduction forum post, not a shop <i>really</i>');
    await Promise.all([
      page.waitForURL((u) => u.pathname !== `/leads/${secondId}`),
      page.click('button.dismiss'),
    ]);
    expect((await store.lead(secondId))!.status).toBe('dismissed');

    // The queue's own shortcuts: j moves down, e escalates the selected lead in place.
    await page.goto(`${server.url}/?status=new`);
    await page.keyboard.press('j');
    const selected = Number(await page.locator('#queue tr.sel').getAttribute('data-id'));
    await page.keyboard.press('e');
    await page.locator(`#queue tr[data-id="${selected}"] .status.s-escalated`).waitFor();
    expect((await store.lead(selected))!.status).toBe('escalated');

    // Both decisions are in the audit log, with who, what and when.
    await page.goto(`${server.url}/audit`);
    const audit = page.locator('#audit tbody tr');
    const text = (await audit.allInnerTexts()).join('\n');
    expect(text).toMatch(new RegExp(`investigator\\s+confirm\\s+#${firstId}`));
    expect(text).toMatch(
      new RegExp(
        `investigator\\s+dismiss\\s+#${secondId}\\s+Harm-reduction forum post, not a shop <i>really</i>`,
      ),
    );
    expect(text).toMatch(new RegExp(`investigator\\s+view\\s+#${firstId}`));
    expect(await page.locator('#audit i').count()).toBe(0);

    // Sign out: the session is gone and the app refuses it.
    await Promise.all([page.waitForURL(/\/login/), page.click('nav form button[type="submit"]')]);
    await page.goto(`${server.url}/leads/${firstId}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    const api = await page.request.get(`${server.url}/api/leads`);
    expect(api.status()).toBe(401);

    expect(w.dialogs).toEqual([]);
    expect(w.cspErrors).toEqual([]);
    expect(foreignRequests(w.requests, server.url)).toEqual([]);
  });
});
