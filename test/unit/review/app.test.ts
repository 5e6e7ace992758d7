import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identifier } from '../../../src/extract/index.ts';
import { Store } from '../../../src/leads/index.ts';
import { addAnalyst, createApiToken, createReviewApp } from '../../../src/review/index.ts';
import { tempDir } from '../../helpers/runtime.ts';
import { AppClient, insertLead } from './helpers.ts';
import { storeDb } from '../../../src/leads/store.ts';

const id = (type: Identifier['type'], value: string): Identifier => ({
  type,
  value,
  span: [0, 1],
  validated: 'syntax',
  deobfuscated: false,
});
const PHONE = id('phone', '+77051112233');
const TON = id('ton', '0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e');

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

describe('review app through its fetch handler (real SQLite)', () => {
  const dir = tempDir();
  let store: Store;
  let app: ReturnType<typeof createReviewApp>;
  let alice: AppClient;
  const ids: number[] = [];

  beforeAll(async () => {
    store = await Store.open(null, dir.path);
    await addAnalyst(store, 'alice', 'correct horse battery');
    const base = Date.parse('2024-05-01T00:00:00Z');
    for (let i = 0; i < 30; i++) {
      const { leadId } = await insertLead(store, {
        url: `http://shop.test/item/${i}`,
        title:
          i === 7 ? '=HYPERLINK("http://evil","click")' : `Listing ${i} ${i % 2 ? 'мефедрон' : 'альфа-PVP'}`,
        text: `Текст объявления ${i}. ${i % 3 === 0 ? 'закладки по городу' : 'доставка'}`,
        siteId: i % 2 ? 'odd' : 'even',
        lang: i % 5 === 0 ? 'kk' : 'ru',
        score: Math.round((0.5 + (i % 7) / 14) * 1000) / 1000,
        substances: i % 2 ? ['mephedrone'] : ['a-pvp'],
        category: i % 2 ? 'synthetic' : 'nps',
        at: new Date(base + i * 86_400_000).toISOString(),
        ...(i === 3 ? { identifiers: [PHONE, TON] } : {}),
      });
      ids.push(leadId);
    }
    app = createReviewApp({ store });
    alice = new AppClient(app);
    expect((await alice.login('alice', 'correct horse battery')).status).toBe(303);
    expect(alice.csrf).toMatch(/^[\w-]{43}$/);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('sends the security headers on every response', async () => {
    for (const path of ['/healthz', '/login', '/', '/nope', '/static/app.js', '/api/leads']) {
      for (const client of [alice, new AppClient(app)]) {
        const res = await client.request(path);
        expect(res.headers.get('content-security-policy'), path).toBe(CSP);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
      }
    }
    const health = await new AppClient(app).request('/healthz');
    expect(await health.text()).toBe('ok');
  });

  it('refuses everything without a sign-in', async () => {
    const anon = new AppClient(app);
    const page = await anon.request('/leads/1');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fleads%2F1');
    expect((await anon.request('/api/leads')).status).toBe(401);
    expect((await anon.request('/metrics')).status).toBe(401);
    expect((await anon.request('/export.csv')).status).toBe(401);
    expect((await anon.post('/leads/1/decision', { decision: 'confirm' }, false)).status).toBe(403);
    expect((await anon.request('/api/leads', { headers: { authorization: 'Bearer nope' } })).status).toBe(
      401,
    );
    const bad = await anon.login('alice', 'wrong password!!');
    expect(bad.status).toBe(401);
    // A login form without its token is refused too.
    const noToken = await anon.request('/login', {
      method: 'POST',
      body: new URLSearchParams({ name: 'alice', password: 'correct horse battery' }),
    });
    expect(noToken.status).toBe(403);
  });

  it('refuses POSTs without the CSRF token or from another origin', async () => {
    expect((await alice.post(`/leads/${ids[0]}/decision`, { decision: 'confirm' }, false)).status).toBe(403);
    expect(
      (await alice.post(`/leads/${ids[0]}/decision`, { decision: 'confirm', _csrf: 'x'.repeat(43) }, false))
        .status,
    ).toBe(403);
    const cross = await alice.request(`/leads/${ids[0]}/decision`, {
      method: 'POST',
      headers: { origin: 'http://evil.test' },
      body: new URLSearchParams({ _csrf: alice.csrf, decision: 'confirm' }),
    });
    expect(cross.status).toBe(403);
    expect((await alice.post('/logout', {}, false)).status).toBe(403);
    expect((await store.lead(ids[0]!))!.status).toBe('new');
  });

  it('walks the whole queue by keyset, forwards and back, in order', async () => {
    for (const sort of ['score', 'last_seen', 'first_seen', 'id']) {
      for (const dir of ['desc', 'asc']) {
        const seen: number[] = [];
        let after: string | null = null;
        const pages: Array<{ ids: number[]; prev: string | null }> = [];
        do {
          const qs: string = `status=all&sort=${sort}&dir=${dir}&limit=7${after ? `&after=${after}` : ''}`;
          const body = (await (await alice.request(`/api/leads?${qs}`)).json()) as {
            leads: Array<{ id: number }>;
            next: string | null;
            prev: string | null;
          };
          seen.push(...body.leads.map((l) => l.id));
          pages.push({ ids: body.leads.map((l) => l.id), prev: body.prev });
          after = body.next;
        } while (after);
        const all = await storeDb(store).selectFrom('leads').selectAll().execute();
        const key = (l: (typeof all)[number]) => l[sort as 'score'];
        all.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
        if (dir === 'desc') all.reverse();
        expect(seen, `${sort} ${dir}`).toEqual(all.map((l) => l.id));
        // "previous" from the third page gives the second page.
        const back = (await (
          await alice.request(
            `/api/leads?status=all&sort=${sort}&dir=${dir}&limit=7&before=${pages[2]!.prev}`,
          )
        ).json()) as { leads: Array<{ id: number }> };
        expect(back.leads.map((l) => l.id)).toEqual(pages[1]!.ids);
      }
    }
  });

  it('filters by status, site, language, category, substance, score, date, identifier and text', async () => {
    const count = async (qs: string) =>
      ((await (await alice.request(`/api/leads?${qs}`)).json()) as { total: number }).total;
    expect(await count('status=all')).toBe(30);
    expect(await count('site=odd')).toBe(15);
    expect(await count('lang=kk')).toBe(6);
    expect(await count('category=nps')).toBe(15);
    expect(await count('substance=mephedrone')).toBe(15);
    expect(await count('min_score=0.9')).toBe(4);
    expect(await count('since=2024-05-29')).toBe(2);
    expect(await count('until=2024-05-01')).toBe(1);
    expect(await count('q=мефедрон')).toBe(14); // lead 7's title is the formula
    expect(await count('q=mephedrone')).toBe(15); // the substance: lead 7 too
    expect(await count('q=a-pvp')).toBe(15);
    // Words only in the page text are found when the page text is asked for (a scan).
    expect(await count('q=закладки')).toBe(0);
    expect(await count('q=закладки&in_text=1')).toBe(10);
    expect(await count('q=закладки мефедрон&in_text=1')).toBe(5);
    expect(await count('q=%22%20OR%20%22')).toBe(0);
    // Through the classifier's folding and stemming: other word forms, transliteration, homoglyphs, spacing.
    for (const q of ['мефедрона', 'МЕФЕДРОНОМ', 'mefedrona', 'мeфeдрон', 'м е ф е д р о н'])
      expect(await count(`q=${encodeURIComponent(q)}`), q).toBe(14);
    expect(await count(`q=${encodeURIComponent('закладка мефедрона')}&in_text=1`)).toBe(5);
    expect((await alice.request('/api/leads?q=x&in_text=maybe')).status).toBe(400);
    expect(await count('identifier=@nobody')).toBe(0);
    // As stored, or as a page writes it.
    for (const written of [
      '+77051112233',
      'phone:+77051112233',
      '+7 705 111 22 33',
      '8 (705) 111-22-33',
      'UQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPuwA',
      'EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF',
    ])
      expect(await count(`identifier=${encodeURIComponent(written)}`), written).toBe(1);
    const bad = await alice.request('/api/leads?status=bogus');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/status=bogus/);
  });

  it('records decisions and views in the append-only audit log', async () => {
    const res = await alice.post(`/leads/${ids[1]}/decision`, {
      decision: 'dismiss',
      note: 'a shop for <b>tea</b>',
    });
    expect(res.status).toBe(303);
    expect((await store.lead(ids[1]!))!.status).toBe('dismissed');
    const json = await alice.request(`/leads/${ids[2]}/decision`, {
      method: 'POST',
      headers: { 'x-csrf-token': alice.csrf, accept: 'application/json' },
      body: new URLSearchParams({ decision: 'escalate' }),
    });
    expect(await json.json()).toEqual({
      id: ids[2],
      status: 'escalated',
      before: 'new',
      auditId: expect.any(Number),
    });
    expect((await alice.request(`/leads/${ids[1]}`)).status).toBe(200);
    const rows = await storeDb(store)
      .selectFrom('audit')
      .selectAll()
      .where('lead_id', 'in', [ids[1]!, ids[2]!])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.analyst, r.action, r.lead_id, r.note])).toEqual([
      ['alice', 'dismiss', ids[1], 'a shop for <b>tea</b>'],
      ['alice', 'escalate', ids[2], null],
      ['alice', 'view', ids[1], null],
    ]);
    const page = await (await alice.request(`/audit?lead=${ids[1]}`)).text();
    expect(page).toContain('a shop for &lt;b&gt;tea&lt;/b&gt;');
    await expect(storeDb(store).updateTable('audit').set({ note: 'changed' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(storeDb(store).deleteFrom('audit').execute()).rejects.toThrow(/append-only/);
  });

  it('exports the filtered queue as CSV (formulas neutralised) and JSONL', async () => {
    const csv = await (await alice.request('/export.csv?status=all&site=odd')).text();
    const lines = csv.trim().split('\n');
    expect(lines.length).toBe(16);
    const jsonl = await (await alice.request('/export.jsonl?status=all&site=even')).text();
    const rows = jsonl
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { title: string });
    expect(rows.length).toBe(15);
    const evil = await (await alice.request('/export.csv?status=all&q=HYPERLINK')).text();
    expect(evil).toContain(`"'=HYPERLINK(""http://evil"",""click"")"`);
    expect(evil).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });

  it('serves the API to bearer tokens without a cookie, and metrics', async () => {
    const token = await createApiToken(store, 'alice', 'ci');
    const api = new AppClient(app);
    const auth = { authorization: `Bearer ${token}` };
    const lead = (await (await api.request(`/api/leads/${ids[3]}`, { headers: auth })).json()) as {
      id: number;
      classifiedText: string;
    };
    expect(lead.id).toBe(ids[3]);
    expect(lead.classifiedText).toContain('Текст объявления 3');
    const decided = await api.request(`/api/leads/${ids[3]}/decision`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'confirm', note: 'by API' }),
    });
    expect(await decided.json()).toMatchObject({ status: 'confirmed' });
    expect((await api.request('/api/identifiers', { headers: auth })).status).toBe(200);
    const metrics = await (await api.request('/metrics', { headers: auth })).text();
    expect(metrics).toContain('process_cpu_user_seconds_total');
    expect(metrics).toContain('spiderweb_review_decisions_total{decision="confirm"}');
  });

  it('signs out: the session no longer works', async () => {
    const bob = new AppClient(app);
    await bob.login('alice', 'correct horse battery');
    const old = bob.cookie;
    expect((await bob.post('/logout', {})).status).toBe(303);
    const after = await bob.request('/', { headers: { cookie: old } });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/login/);
  });
});
