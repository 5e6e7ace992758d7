import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Store } from '../../src/leads/index.ts';
import { addAnalyst, type ReviewServer, startReviewServer } from '../../src/review/index.ts';
import { tempDir } from '../helpers/runtime.ts';
import { insertLead } from '../unit/review/helpers.ts';
import { foreignRequests, launchChromium, signIn, watchedPage } from './review-browser.ts';
import { needsChromium as needs } from '../helpers/requirements.ts';
import { storeDb } from '../../src/leads/store.ts';

const PASSWORD = 'correct horse battery staple';

/** The "evil" origin: counts every request, and serves a page that tries a cross-site POST at /attack. */
async function startEvil(
  target: () => string,
): Promise<{ origin: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url === '/attack') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form id="f" method="post" action="${target()}/leads/1/decision">
        <input name="decision" value="dismiss"><input name="note" value="csrf"></form>
        <script>document.getElementById('f').submit()</script>`);
      return;
    }
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('leaked');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, hits, close: () => new Promise((r) => server.close(() => r())) };
}

function hostileText(evil: string): string {
  return [
    'Продаю мефедрон. <script>alert(1)</script>',
    `<img src=x onerror=alert(1)><img src="${evil}/img.png">`,
    '<a href="javascript:alert(1)">click me</a> <a href=javascript:alert(2)>x</a>',
    `<style>body{background:url(${evil}/leak)}</style> <div style="background:url(${evil}/leak-inline)">`,
    `<svg onload=alert(1)><svg><script>alert(3)</script></svg>`,
    `<link rel=stylesheet href="${evil}/x.css"><script src="${evil}/x.js"></script>`,
    `<iframe src="${evil}/frame"></iframe><meta http-equiv="refresh" content="0;url=${evil}/refresh">`,
    `<base href="${evil}/"><form action="${evil}/form"><button>go</button></form>`,
    `"><img src=x onerror=alert(4)> '><script>alert(5)</script> \`\${alert(6)}\``,
    `CSS: url(${evil}/leak) @import "${evil}/import.css";`,
  ].join('\n');
}

needs('review app security in Chromium: hostile leads render inert, no request leaves the app', () => {
  const dir = tempDir();
  let store: Store;
  let server: ReviewServer;
  let evil: Awaited<ReturnType<typeof startEvil>>;
  let browser: Browser;
  let leadId: number;
  const title = '=HYPERLINK("http://evil.example/x","open") <script>alert("title")</script>';

  beforeAll(async () => {
    store = await Store.open(null, dir.path);
    await addAnalyst(store, 'investigator', PASSWORD);
    server = await startReviewServer({ store, host: '127.0.0.1', port: 0 });
    evil = await startEvil(() => server.url);
    const text = hostileText(evil.origin);
    const at = (needle: string): [number, number] => [
      text.indexOf(needle),
      text.indexOf(needle) + needle.length,
    ];
    ({ leadId } = await insertLead(store, {
      url: `javascript:alert(document.cookie)//${evil.origin}/page`,
      title,
      text,
      reasons: [
        {
          group: 'substance',
          term: 'mephedrone',
          form: 'мефедрон',
          span: at('мефедрон'),
          weight: 0.95,
          contribution: 0.4,
        },
        {
          group: 'x',
          term: '<img src=x onerror=alert(7)>',
          form: '<script>alert(1)</script>',
          span: at('<script>alert(1)</script>'),
          weight: 0.5,
          contribution: 0.1,
        },
        {
          group: 'x',
          term: 'svg',
          form: '<svg onload=alert(1)>',
          span: at('<svg onload=alert(1)>'),
          weight: -0.2,
          contribution: -0.1,
        },
      ],
    }));
    expect(leadId).toBe(1);
    // A hostile identifier value, as if a site slipped one past extraction.
    const ident = await storeDb(store)
      .insertInto('identifiers')
      .values({
        type: 'telegram',
        value: `<img src="${evil.origin}/ident.png" onerror=alert(8)>`,
        validated: 'syntax',
        first_seen: 'x',
        last_seen: 'x',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await storeDb(store)
      .insertInto('page_identifiers')
      .values({ page_id: 1, identifier_id: ident.id, deobfuscated: 0, first_seen: 'x' })
      .execute();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await evil?.close();
    await store?.close();
    dir.remove();
  });

  it('renders the hostile lead and the queue as text: no dialog, no foreign request, no active element', async () => {
    const w = await watchedPage(browser);
    const { page } = w;
    await signIn(page, server.url, 'investigator', PASSWORD);
    expect(await page.locator('#queue td.title a').first().textContent()).toBe(title);
    await page.goto(`${server.url}/leads/${leadId}`);
    await page.waitForLoadState('networkidle');
    // The hostile markup is shown as the text it is, highlighted where the classifier matched.
    const shown = await page.locator('#lead-text').textContent();
    expect(shown).toBe(hostileText(evil.origin));
    expect(await page.locator('#lead-text mark').allTextContents()).toEqual([
      'мефедрон',
      '<script>alert(1)</script>',
      '<svg onload=alert(1)>',
    ]);
    // Nothing in the page came from the crawled strings: one script (ours), no frames, images, SVG, styles.
    // (A string: the test's TypeScript has no DOM types.)
    const active = await page.evaluate(`({
      scripts: [...document.scripts].map((s) => s.getAttribute('src')),
      styles: document.querySelectorAll('style, link[rel="stylesheet"]:not([href="/static/app.css"])').length,
      styled: document.querySelectorAll('[style]').length,
      frames: document.querySelectorAll('iframe, frame, object, embed').length,
      images: [...document.images].map((i) => i.getAttribute('src')),
      svg: document.querySelectorAll('svg').length,
      base: document.querySelectorAll('base').length,
      js: [...document.querySelectorAll('a')].filter((a) =>
        /^\\s*javascript:/i.test(a.getAttribute('href') ?? ''),
      ).length,
      foreignLinks: [...document.querySelectorAll('a[href], form[action]')]
        .map((e) => e.getAttribute('href') ?? e.getAttribute('action') ?? '')
        .filter((h) => !h.startsWith('/')),
    })`);
    expect(active).toEqual({
      scripts: ['/static/app.js'],
      styles: 0,
      styled: 0,
      frames: 0,
      images: [],
      svg: 0,
      base: 0,
      js: 0,
      foreignLinks: [],
    });
    expect(await page.locator('dd.url').first().textContent()).toBe(
      `javascript:alert(document.cookie)//${evil.origin}/page`,
    );
    await page.mouse.move(200, 400);
    await page.locator('#lead-text').click();
    await page.goto(`${server.url}/?status=all`);
    await page.waitForLoadState('networkidle');
    expect(w.dialogs).toEqual([]);
    expect(w.cspErrors).toEqual([]);
    expect(foreignRequests(w.requests, server.url)).toEqual([]);
    expect(evil.hits).toEqual([]);

    // The CSV export neutralises the formula.
    const csv = await (await page.request.get(`${server.url}/export.csv?status=all`)).text();
    expect(csv).toContain(
      `"'=HYPERLINK(""http://evil.example/x"",""open"") <script>alert(""title"")</script>"`,
    );
    expect(csv.split('\n').some((line) => /(^|,)"?=/.test(line))).toBe(false);

    // A page on the evil origin auto-submits a form at the app: the browser withholds the cookie, the app refuses.
    await page.goto(`${evil.origin}/attack`);
    await page.waitForLoadState('networkidle');
    expect((await store.lead(leadId))!.status).toBe('new');
    const audit = await storeDb(store)
      .selectFrom('audit')
      .select('action')
      .where('lead_id', '=', leadId)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['view']);
    await w.context.close();
  });

  it('refuses POSTs without a session or without the CSRF token', async () => {
    const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        body: new URLSearchParams(body),
        headers,
        redirect: 'manual',
      });
    expect((await post('/leads/1/decision', { decision: 'confirm' })).status).toBe(403);
    expect((await post('/logout', {})).status).toBe(403);
    expect((await post('/api/leads/1/decision', { decision: 'confirm' })).status).toBe(403);
    expect((await post('/login', { name: 'investigator', password: PASSWORD })).status).toBe(403);

    // Signed in, but without (or with a wrong) token.
    const loginPage = await fetch(`${server.url}/login`);
    const loginCookie = loginPage.headers.getSetCookie()[0]!.split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
    const signedIn = await post(
      '/login',
      { _csrf: token, name: 'investigator', password: PASSWORD },
      { cookie: loginCookie },
    );
    expect(signedIn.status).toBe(303);
    const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('spw_session='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);
    const cookie = session.split(';')[0]!;
    expect((await post('/leads/1/decision', { decision: 'confirm' }, { cookie })).status).toBe(403);
    expect(
      (await post('/leads/1/decision', { decision: 'confirm', _csrf: 'A'.repeat(43) }, { cookie })).status,
    ).toBe(403);
    expect(
      (await post('/leads/1/decision', { decision: 'confirm', _csrf: token }, { cookie })).status,
      'the login form token is not the session token',
    ).toBe(403);
    expect((await store.lead(leadId))!.status).toBe('new');
  });
});
