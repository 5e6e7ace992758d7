import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, siteSchema } from '../../src/config/index.ts';
import { addAnalyst, createReviewApp } from '../../src/review/index.ts';
import { openRuntime, type Runtime, runCrawl } from '../../src/runtime/index.ts';
import { type FixtureServer, startServer } from '../helpers/fixture-server.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';
import { AppClient } from '../unit/review/helpers.ts';

const page = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>${body}</body></html>`;

describe('the Crawls page over a real crawl (real Redis, SQLite, HTTP)', () => {
  let srv: FixtureServer;
  let dir: ReturnType<typeof tempDir>;
  let config: Config;
  let rt: Runtime;
  let alice: AppClient;
  let crawlId: string;

  beforeAll(async () => {
    const send = (type: string, body: string | Buffer) => (_q: unknown, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': type }).end(body);
    };
    const html = 'text/html; charset=utf-8';
    srv = await startServer({
      '/robots.txt': send('text/plain', 'User-agent: *\nDisallow: /secret\n'),
      '/': send(
        html,
        page(
          '<a href="/item/1">1</a> <a href="/secret/2">2</a> <a href="/secret/3">3</a> <a href="/file.bin">bin</a>',
        ),
      ),
      '/item/1': send(html, page('<p>Мефедрон кристалл 1г — 3500₽, закладки магнит, пиши @mef_shop_kz</p>')),
      '/file.bin': send('application/octet-stream', Buffer.alloc(64, 1)),
    });
    dir = tempDir();
    config = await testConfig(dir.path);
    rt = await openRuntime(config);
    const summary = await runCrawl(rt, {
      sites: [siteSchema.parse({ id: 'fx', seeds: [`${srv.url}/`], allowPrivateNetwork: true })],
      workers: { fetch: 2, classify: 1 },
      progressMs: 50,
    });
    crawlId = summary.crawlId;
    await addAnalyst(rt.store, 'alice', 'correct horse battery');
    alice = new AppClient(createReviewApp({ store: rt.store }));
    await alice.login('alice', 'correct horse battery');
  }, 60_000);

  afterAll(async () => {
    await rt?.close();
    await srv?.close();
    if (config) await dropPrefix(config.runtime.redis.prefix);
    dir?.remove();
  });

  it('lists the crawl with its state, pages, leads and failures by reason', async () => {
    const html = await (await alice.request('/crawls')).text();
    const row = new RegExp(`<tr data-crawl="${crawlId}">([\\s\\S]*?)</tr>`).exec(html)?.[1];
    expect(row).toBeDefined();
    const cells = [...row!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) =>
      m[1]!.replace(/<[^>]+>/g, '').trim(),
    );
    expect(cells[1]).toBe('finished');
    expect(cells[4]).toBe('fx');
    expect(Number(cells[5])).toBe(2); // / and /item/1
    expect(Number(cells[6])).toBe(3);
    expect(Number(cells[7])).toBe(1);
    expect(cells[9]).toMatch(/robots 2/);
    expect(cells[9]).toMatch(/content-type 1/);
  });

  it("shows a crawl's failed URLs, by reason, as text", async () => {
    const html = await (await alice.request(`/crawls/${crawlId}?reason=robots`)).text();
    const urls = [...html.matchAll(/<td class="url">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(urls.sort()).toEqual([`${srv.url}/secret/2`, `${srv.url}/secret/3`]);
    expect(html).not.toContain(`href="${srv.url}`);
    const all = await (await alice.request(`/crawls/${crawlId}`)).text();
    expect(all).toContain(`${srv.url}/file.bin`);
    expect((await alice.request('/crawls/nope')).status).toBe(404);
  });

  it('shows a lost crawl as lost, with its reason', async () => {
    const id = 'lost-crawl-1';
    await rt.store.startCrawl(id, ['fx'], '2026-01-01T00:00:00.000Z');
    const why = 'Redis lost the crawl state (its sentinel key is gone)';
    expect(await rt.store.markCrawl(id, 'lost', why, '2026-01-01T00:01:00.000Z')).toBe(true);
    const list = await (await alice.request('/crawls')).text();
    expect(list).toMatch(new RegExp(`<tr data-crawl="${id}">[\\s\\S]*?<td class="state"[^>]*>lost</td>`));
    const one = await (await alice.request(`/crawls/${id}`)).text();
    expect(one).toContain(why);
  });
});
