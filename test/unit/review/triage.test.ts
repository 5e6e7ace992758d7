import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/leads/index.ts';
import { addAnalyst, createReviewApp } from '../../../src/review/index.ts';
import { BACKENDS, type TestDb, testDb } from '../../helpers/db.ts';
import { AppClient, insertLead } from './helpers.ts';
import { storeDb } from '../../../src/leads/store.ts';

const reason = (term: string, form: string, at: number, contribution: number, extra: object = {}) => ({
  group: term === 'price' || term === 'quantity' ? 'intent' : 'substance',
  term,
  form,
  span: [at, at + form.length],
  weight: 0.8,
  contribution,
  ...extra,
});

describe.each(BACKENDS)(
  'triage through the app on %s: bulk decisions, undo, claims, saved filters, reasons',
  (backend) => {
    let tdb: TestDb;
    let store: Store;
    let alice: AppClient;
    let bob: AppClient;
    const ids: number[] = [];

    beforeAll(async () => {
      tdb = await testDb(backend);
      store = await tdb.open();
      await addAnalyst(store, 'alice', 'correct horse battery');
      await addAnalyst(store, 'bob', 'correct horse battery');
      for (let i = 0; i < 5; i++) {
        const text = `Мефедрон 1г 3500₽ мефедрон, мефедрон. Лот ${i}, Алматы`;
        const { leadId } = await insertLead(store, {
          url: `http://shop.test/item/${i}`,
          title: `Лот ${i}`,
          text,
          reasons: [
            reason('mephedrone', 'Мефедрон', 0, 0.4, { gloss: 'mephedrone (4-MMC)' }),
            reason('mephedrone', 'мефедрон', 18, 0),
            reason('mephedrone', 'мефедрон', 28, 0),
            reason('quantity', '1г', 9, 0.05),
            reason('price', '3500₽', 12, 0.1),
          ],
        });
        ids.push(leadId);
      }
      const app = createReviewApp({ store });
      alice = new AppClient(app);
      bob = new AppClient(app);
      await alice.login('alice', 'correct horse battery');
      await bob.login('bob', 'correct horse battery');
    });
    afterAll(async () => {
      await store?.close();
      await tdb?.drop();
    });

    const status = async (id: number) => (await store.lead(id))?.status;
    const auditRows = (action: string) =>
      storeDb(store).selectFrom('audit').selectAll().where('action', '=', action).orderBy('id').execute();

    it('bulk-dismisses with one note, audits each lead, and lets the decider undo one', async () => {
      const form = new URLSearchParams({
        _csrf: alice.csrf,
        decision: 'dismiss',
        note: 'bath salts shop',
        back: '/?status=new',
      });
      for (const id of ids.slice(0, 3)) form.append('id', String(id));
      const res = await alice.request('/leads/bulk', { method: 'POST', body: form });
      expect(res.status).toBe(303);
      const to = new URL(res.headers.get('location')!, 'http://x');
      expect(to.pathname).toBe('/');
      expect(to.searchParams.get('status')).toBe('new');
      const auditIds = to.searchParams.get('decided')!.split(',').map(Number);
      expect(auditIds).toHaveLength(3);
      for (const id of ids.slice(0, 3)) expect(await status(id)).toBe('dismissed');
      const dismissed = await auditRows('dismiss');
      expect(dismissed.map((r) => [r.lead_id, r.analyst, r.note])).toEqual(
        ids.slice(0, 3).map((id) => [id, 'alice', 'bath salts shop']),
      );

      // The queue names what was just decided, each with an undo button.
      const page = await (await alice.request(`/?status=new&decided=${auditIds.join(',')}`)).text();
      for (const a of auditIds) expect(page).toContain(`action="/audit/${a}/undo"`);
      // Another analyst sees no undo buttons for alice's decisions, and cannot undo them.
      expect(await (await bob.request(`/?decided=${auditIds.join(',')}`)).text()).not.toContain('/undo"');
      expect((await bob.post(`/audit/${auditIds[1]}/undo`, {})).status).toBe(400);

      const undo = await alice.post(`/audit/${auditIds[1]}/undo`, { back: '/?status=new' });
      expect(undo.status).toBe(303);
      expect(await status(ids[1]!)).toBe('new');
      const undos = await auditRows('undo');
      expect(undos).toHaveLength(1);
      expect(undos[0]).toMatchObject({ lead_id: ids[1], analyst: 'alice' });
      expect(JSON.parse(undos[0]!.detail!)).toEqual({ undoes: auditIds[1], from: 'dismissed', to: 'new' });
      // Undoing twice, or after someone decided again, is refused with a reason.
      const again = await alice.post(`/audit/${auditIds[1]}/undo`, {});
      expect(again.status).toBe(400);
      expect(await again.text()).toMatch(/decided again since/);
      expect(await status(ids[1]!)).toBe('new');
    });

    it('a single-key decision answers with the audit id that undoes it', async () => {
      const res = await alice.request(`/leads/${ids[3]}/decision`, {
        method: 'POST',
        headers: { 'x-csrf-token': alice.csrf, accept: 'application/json' },
        body: new URLSearchParams({ decision: 'confirm' }),
      });
      const body = (await res.json()) as { auditId: number; status: string };
      expect(body.status).toBe('confirmed');
      const undo = await alice.request(`/audit/${body.auditId}/undo`, {
        method: 'POST',
        headers: { 'x-csrf-token': alice.csrf, accept: 'application/json' },
      });
      expect(await undo.json()).toMatchObject({ leadId: ids[3], status: 'new' });
    });

    it('a decision made on a lead page is offered for undo on the page it goes on to', async () => {
      const res = await alice.post(`/leads/${ids[3]}/decision`, { decision: 'escalate', back: 'status=all' });
      const to = res.headers.get('location')!;
      expect(to).toMatch(/[?&]decided=\d+$/);
      const auditId = Number(/decided=(\d+)/.exec(to)![1]);
      const next = await (await alice.request(to)).text();
      expect(next).toContain(`action="/audit/${auditId}/undo"`);
      expect((await alice.post(`/audit/${auditId}/undo`, {})).status).toBe(303);
      expect(await status(ids[3]!)).toBe('new');
    });

    it('claims: one analyst at a time, shown in the queue, filterable, released, all audited', async () => {
      expect((await alice.post(`/leads/${ids[4]}/claim`, {})).status).toBe(303);
      const taken = await bob.post(`/leads/${ids[4]}/claim`, {});
      expect(taken.status).toBe(400);
      expect(await taken.text()).toMatch(/claimed by alice/);
      const mine = await (await alice.request('/?status=all&claimed=alice')).text();
      expect(mine.match(/<tr data-id="/g)).toHaveLength(1);
      expect(mine).toContain(`<tr data-id="${ids[4]}"`);
      expect(mine).toMatch(/class="claim"[^>]*>alice</);
      const unclaimed = await (await alice.request('/?status=all&claimed=none')).text();
      expect(unclaimed.match(/<tr data-id="/g)).toHaveLength(4);
      expect((await bob.post(`/leads/${ids[4]}/release`, {})).status).toBe(303);
      expect((await bob.post(`/leads/${ids[4]}/claim`, {})).status).toBe(303);
      expect((await auditRows('claim')).map((r) => r.analyst)).toEqual(['alice', 'bob']);
      expect(JSON.parse((await auditRows('release'))[0]!.detail!)).toEqual({ claimedBy: 'alice' });
    });

    it('saved filters belong to one analyst, and saving and deleting are audited', async () => {
      const saved = await alice.post('/filters', {
        name: 'my mephedrone',
        query: 'status=all&substance=mephedrone',
      });
      expect(saved.headers.get('location')).toBe('/?status=all&substance=mephedrone');
      expect(await (await alice.request('/')).text()).toContain(
        'href="/?status=all&amp;substance=mephedrone">my mephedrone</a>',
      );
      expect(await (await bob.request('/')).text()).not.toContain('my mephedrone');
      const row = await storeDb(store).selectFrom('saved_filters').selectAll().executeTakeFirstOrThrow();
      await bob.post(`/filters/${row.id}/delete`, {});
      expect(await storeDb(store).selectFrom('saved_filters').selectAll().execute()).toHaveLength(1);
      await alice.post(`/filters/${row.id}/delete`, {});
      expect(await storeDb(store).selectFrom('saved_filters').selectAll().execute()).toHaveLength(0);
      expect((await auditRows('filter-save')).length).toBe(1);
      expect((await auditRows('filter-delete')).length).toBe(1);
    });

    it('shows one reason row per term with its count and where, a sentence, and price and quantity as fields', async () => {
      const page = await (await alice.request(`/leads/${ids[0]}`)).text();
      const table = /<table class="reasons" id="reasons">([\s\S]*?)<\/table>/.exec(page)![1]!;
      const rows = [...table.matchAll(/<tr class="[^"]*">([\s\S]*?)<\/tr>/g)].map((m) =>
        [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.trim()),
      );
      expect(rows.map((r) => r[0])).toEqual(['mephedrone', 'price', 'quantity']);
      expect(rows[0]!.slice(1, 5)).toEqual(['mephedrone (4-MMC)', 'Мефедрон, мефедрон', '3', 'text ×3']);
      expect(page).toMatch(/id="score-sentence">Score 0\.90\. Most of it comes from mephedrone \(\+0\.40\)/);
      expect(page).toContain('<dd id="field-price">3500₽</dd>');
      expect(page).toContain('<dd id="field-quantity">1г</dd>');
      expect(page).toContain('<dd id="field-city">Almaty</dd>');
      const queue = await (await alice.request('/?status=all')).text();
      expect(queue).toMatch(
        /<td class="field">3500₽<\/td>\s*<td class="field">1г<\/td>\s*<td class="field"><\/td>\s*<td class="field">Almaty<\/td>/,
      );
    });
  },
);
