import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Store } from '../../src/leads/index.ts';
import { addAnalyst, type ReviewServer, startReviewServer } from '../../src/review/index.ts';
import { needsChromium as needs } from '../helpers/requirements.ts';
import { tempDir } from '../helpers/runtime.ts';
import { insertLead } from '../unit/review/helpers.ts';
import { launchChromium, signIn, type WatchedPage, watchedPage } from './review-browser.ts';

const PASSWORD = 'correct horse battery staple';

needs('triage in Chromium: bulk decisions with a note, undo, audit, search by word form in page text', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let server: ReviewServer;
  let browser: Browser;
  let w: WatchedPage;
  const ids: number[] = [];

  beforeAll(async () => {
    dir = tempDir('spiderweb-triage-');
    store = await Store.open(null, dir.path);
    await addAnalyst(store, 'aigerim', PASSWORD);
    const texts = [
      'Продаю мефедрон кристалл 1г, закладки магнит',
      'Соль для ванн с лавандой, 500 г',
      'Альфа-PVP 2г, клад, пиши в телеграм',
      'Кристаллы мефедрона VHQ, Алматы',
      'Таблетки MDMA 250мг, доставка',
      'Продам велосипед, почти новый',
    ];
    for (const [i, text] of texts.entries()) {
      const { leadId } = await insertLead(store, {
        url: `http://shop.test/item/${i}`,
        title: `Лот ${i}`,
        text,
        score: 0.95 - i * 0.05,
      });
      ids.push(leadId);
    }
    server = await startReviewServer({ store, host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    w = await watchedPage(browser);
  }, 60_000);

  afterAll(async () => {
    await w?.context.close();
    await browser?.close();
    await server?.close();
    await store?.close();
    dir?.remove();
  });

  it('signs in, bulk-dismisses three leads with a note, undoes one, and finds the audit rows', async () => {
    const { page } = w;
    await signIn(page, server.url, 'aigerim', PASSWORD);
    const picked = [ids[1]!, ids[4]!, ids[5]!];
    for (const id of picked) await page.check(`#queue input[name="id"][value="${id}"]`);
    await page.selectOption('#bulk select[name="decision"]', 'dismiss');
    await page.fill('#bulk input[name="note"]', 'not for sale: bath salts, a bicycle');
    await Promise.all([page.waitForURL(/decided=/), page.click('#bulk-apply')]);

    // The dismissed leads left the "new" queue; the notice offers an undo for each.
    const rows = page.locator('#queue tbody tr[data-id]');
    expect(
      (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))))).sort(),
    ).toEqual([ids[0]!, ids[2]!, ids[3]!].sort());
    const undo = page.locator('#decided form.undo button');
    expect(await undo.count()).toBe(3);
    for (const id of picked) expect((await store.lead(id))?.status).toBe('dismissed');

    // Undo one: the MDMA lead was dismissed by mistake.
    await Promise.all([
      page.waitForURL(/\/\?/),
      page.locator(`#decided button[data-lead="${ids[4]}"]`).click(),
    ]);
    expect((await store.lead(ids[4]!))?.status).toBe('new');
    expect((await store.lead(ids[1]!))?.status).toBe('dismissed');
    expect(await page.locator(`#queue tbody tr[data-id="${ids[4]}"]`).count()).toBe(1);

    // The audit page shows who did what, with the note, and the undo.
    await page.goto(`${server.url}/audit?analyst=aigerim`);
    const dismissals = await page.locator('#audit tbody tr[data-action="dismiss"]').allInnerTexts();
    expect(dismissals).toHaveLength(3);
    for (const r of dismissals) expect(r).toContain('not for sale: bath salts, a bicycle');
    const undos = await page.locator('#audit tbody tr[data-action="undo"]').allInnerTexts();
    expect(undos).toHaveLength(1);
    expect(undos[0]).toContain(`#${ids[4]}`);
    expect(w.cspErrors).toEqual([]);
  });

  it('a single-key decision shows a toast whose Undo puts the lead back', async () => {
    const { page } = w;
    await page.goto(`${server.url}/`);
    const first = Number(await page.locator('#queue tbody tr.sel').getAttribute('data-id'));
    await page.keyboard.press('d');
    await page.locator('#toast:not([hidden])').waitFor();
    await expect.poll(async () => (await store.lead(first))?.status).toBe('dismissed');
    await page.locator('#toast button').click();
    await expect.poll(async () => (await store.lead(first))?.status).toBe('new');
    // The store commits before the browser reads the response, so the row catches up a moment later.
    await expect
      .poll(() => page.locator(`#queue tbody tr[data-id="${first}"] .status`).textContent())
      .toBe('new');
  });

  it('finds the lead whose text says "мефедрон" when searching "мефедрона" in page text', async () => {
    const { page } = w;
    await page.goto(`${server.url}/?status=all`);
    await page.fill('#filters input[name="q"]', 'мефедрона');
    await page.check('#filters input[name="in_text"]');
    await Promise.all([page.waitForURL(/q=/), page.click('#filters button[type="submit"]')]);
    const found = await page
      .locator('#queue tbody tr[data-id]')
      .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))));
    // Lead 0 says "мефедрон", lead 3 "мефедрона": both, and nothing else.
    expect(found.sort()).toEqual([ids[0]!, ids[3]!].sort());
  });
});
