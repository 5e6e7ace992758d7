import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLexicons } from '../../../src/config/index.ts';
import { Store } from '../../../src/leads/index.ts';
import { addAnalyst, createReviewApp } from '../../../src/review/index.ts';
import { repoRoot, tempDir } from '../../helpers/runtime.ts';
import { AppClient, insertLead } from './helpers.ts';
import { storeDb } from '../../../src/leads/store.ts';

/** The lexicons in force: one planted lint warning (an unknown intent class). */
const CURRENT = `description: review lexicons test, current
lang: ru
scoring: { threshold: 0.5 }
quantities: { units: [г, гр], currencies: [₽, руб] }
substances:
  - { term: mephedrone, class: cathinone, weight: 0.9, forms: [мефедрон] }
  - { term: ketamine, class: dissociative, weight: 0.9, forms: [кетамин] }
intent:
  - { term: dead drop, class: planted-class, weight: 0.8, forms: [закладка, закладки] }
`;
/** The proposal drops ketamine. */
const PROPOSED = CURRENT.replace('current', 'proposed').replace(
  '  - { term: ketamine, class: dissociative, weight: 0.9, forms: [кетамин] }\n',
  '',
);
/** A proposal the loader refuses: a weight out of range. */
const BROKEN = CURRENT.replace('weight: 0.9, forms: [мефедрон]', 'weight: 7, forms: [мефедрон]');

describe('review app: lexicons page (real SQLite)', () => {
  const dir = tempDir('spiderweb-lexpage-');
  const currentDir = join(dir.path, 'lexicons');
  const proposedDir = join(dir.path, 'lexicons-next');
  const brokenDir = join(dir.path, 'lexicons-broken');
  let store: Store;
  let app: ReturnType<typeof createReviewApp>;
  let alice: AppClient;
  let version: string;
  const lead: Record<string, number> = {};

  beforeAll(async () => {
    for (const [d, text] of [
      [currentDir, CURRENT],
      [proposedDir, PROPOSED],
      [brokenDir, BROKEN],
    ] as const) {
      mkdirSync(d);
      writeFileSync(join(d, 'main.yaml'), text);
    }
    version = (await loadLexicons(currentDir)).version;
    store = await Store.open(null, dir.path);
    await addAnalyst(store, 'alice', 'correct horse battery');
    const pages = {
      mef: 'Мефедрон 1г 3500₽, закладки по городу.',
      keta: 'Кетамин 1г 3000₽, закладки по району.',
      keta2: 'Кетамин 2г 5000₽, закладки у парка.',
    };
    for (const [name, text] of Object.entries(pages)) {
      lead[name] = (
        await insertLead(store, { url: `http://shop.test/${name}`, title: `Объявление ${name}`, text })
      ).leadId;
    }
    await storeDb(store)
      .updateTable('leads')
      .set({ status: 'confirmed' })
      .where('id', '=', lead.keta!)
      .execute();
    app = createReviewApp({ store, lexiconsDir: currentDir });
    alice = new AppClient(app);
    expect((await alice.login('alice', 'correct horse battery')).status).toBe(303);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('refuses an unauthenticated request', async () => {
    const anon = new AppClient(app);
    for (const path of ['/lexicons', `/lexicons/what-if?dir=${encodeURIComponent(proposedDir)}`]) {
      const res = await anon.request(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
    }
  });

  it('shows the version in force, the change log and the planted lint warning', async () => {
    const res = await alice.request('/lexicons');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/lexicons">Lexicons</a>');
    expect(page).toContain(`<strong id="lexicon-version">${version}</strong>`);
    // The helper's leads carry the version "test": 3 leads now.
    expect(page).toMatch(/<code>test<\/code>[\s\S]*?<td class="num">3<\/td>/);
    expect(page).toContain('0 error(s), 1 warning(s) in 1 file(s)');
    expect(page).toContain(`${join(currentDir, 'main.yaml')}:9:`);
    expect(page).toContain('unknown intent class &quot;planted-class&quot;');
    expect(page).toContain('intent.0.class');
    expect(page).not.toContain('style=');
    expect(page).not.toMatch(/<script>/);
  });

  it('opens on no warning for the shipped lexicons', async () => {
    const shipped = new AppClient(
      createReviewApp({ store, lexiconsDir: join(repoRoot, 'config', 'lexicons') }),
    );
    await shipped.login('alice', 'correct horse battery');
    const page = await (await shipped.request('/lexicons')).text();
    expect(page).toMatch(/<p id="lint-summary">0 error\(s\), 0 warning\(s\) in \d+ file\(s\)/);
  });

  it('what-if with a proposal that drops a term lists the dropped leads and flags the confirmed one', async () => {
    const res = await alice.request(`/lexicons/what-if?dir=${encodeURIComponent(proposedDir)}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toMatch(/Rescored <strong>3<\/strong> page\(s\)/);
    expect(page).toMatch(/in <strong>\d+ ms<\/strong>/);
    expect(page).toContain('<strong>−2</strong> dropped');
    const flagged = /<div class="warn" role="alert" id="flagged">([\s\S]*?)<\/div>/.exec(page)?.[1] ?? '';
    expect(flagged).toContain('1 dropped lead(s) that analysts confirmed or escalated');
    expect(flagged).toContain(`<a href="/leads/${lead.keta}">#${lead.keta}</a>`);
    expect(flagged).toContain('CONFIRMED');
    expect(flagged).not.toContain(`#${lead.keta2}<`);
    const dropped = /<table class="queue" id="dropped">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
    expect(dropped).toContain(`#${lead.keta}</a> <strong class="error">!! confirmed</strong>`);
    expect(dropped).toContain(`#${lead.keta2}</a></td>`);
    expect(dropped).not.toContain(`#${lead.mef}<`);
    // The terms responsible: the helper's leads carry no reasons, so the proposal's terms show as
    // added on the surviving lead; nothing was written.
    expect(page).toContain('<table id="terms">');
    expect((await store.lead(lead.keta!))!.lexicon_version).toBe('test');
    expect((await store.lead(lead.keta!))!.kind).toBe('sale');
  });

  it('shows a broken proposal as lint findings, not a crash', async () => {
    const res = await alice.request(`/lexicons/what-if?dir=${encodeURIComponent(brokenDir)}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('The proposed lexicons do not load');
    expect(page).toContain(`${join(brokenDir, 'main.yaml')}:6:`);
    expect(page).toContain('<span class="error">error</span>');
    expect(page).not.toContain('id="what-if-summary"');
  });

  it('refuses relative and missing paths and escapes a hostile one', async () => {
    const hostile = '<script>alert(1)</script>';
    for (const dirParam of [hostile, `/tmp/${hostile}`, 'relative/dir']) {
      const res = await alice.request(
        `/lexicons/what-if?dir=${encodeURIComponent(dirParam)}&site=${encodeURIComponent(hostile)}`,
      );
      expect(res.status).toBe(400);
      const page = await res.text();
      expect(page).not.toContain('<script>alert');
      expect(page).toContain('id="what-if-error"');
      if (dirParam.includes('<')) expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    const bad = await alice.request(
      `/lexicons/what-if?dir=${encodeURIComponent(proposedDir)}&since=yesterday`,
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('is not a date');
  });

  it('reads proposals only from under the lexicons directory’s parent, links resolved', async () => {
    const outside = tempDir('spiderweb-outside-');
    try {
      writeFileSync(join(outside.path, 'main.yaml'), PROPOSED);
      const link = join(dir.path, 'link-out');
      symlinkSync(outside.path, link);
      for (const d of [outside.path, link, '/etc']) {
        const res = await alice.request(`/lexicons/what-if?dir=${encodeURIComponent(d)}`);
        expect(res.status, d).toBe(400);
        const page = await res.text();
        expect(page).toContain('is outside the directories a what-if may read');
        expect(page).not.toContain('id="what-if-summary"');
      }
    } finally {
      outside.remove();
    }
  });

  it('narrows by site and since', async () => {
    const q = (extra: string) =>
      alice
        .request(`/lexicons/what-if?dir=${encodeURIComponent(proposedDir)}&${extra}`)
        .then((r) => r.text());
    expect(await q('site=elsewhere')).toMatch(/Rescored <strong>0<\/strong> page\(s\)/);
    expect(await q('since=2999-01-01')).toMatch(/Rescored <strong>0<\/strong> page\(s\)/);
    expect(await q('site=fixture&since=2000-01-01')).toMatch(/Rescored <strong>3<\/strong> page\(s\)/);
  });
});
