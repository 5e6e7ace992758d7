import { afterAll, beforeAll, expect, it } from 'vitest';
import { siteSchema } from '../../../src/config/index.ts';
import { openRuntime, type Runtime, runCrawl } from '../../../src/runtime/index.ts';
import { type FixtureServer, startServer } from '../../helpers/fixture-server.ts';
import { needsChromium } from '../../helpers/requirements.ts';
import { dropPrefix, tempDir, testConfig } from '../../helpers/runtime.ts';
import { storeDb } from '../../../src/leads/store.ts';

/** A shop whose listing links only exist after its script runs (a JavaScript shell over an API). */
const SHELL = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Shop</title></head>
<body><div id="root"></div><noscript>Включите JavaScript</noscript>
<script src="/app.js"></script></body></html>`;
const APP = `fetch('/api/items').then(r => r.json()).then(items => {
  document.getElementById('root').innerHTML = items.map(i => '<a href="/item/' + i + '">Товар ' + i + '</a>').join(' ');
});`;
const ITEM = (n: string) =>
  `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Товар ${n}</title></head><body>
<p>Мефедрон кристалл 1г — 3500₽. Закладки магнит по городу, пишите в телеграм. Лот ${n}.</p></body></html>`;

needsChromium('render modes through the pipeline (real Chromium)', () => {
  let server: FixtureServer;
  let rt: Runtime;
  let dir: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    server = await startServer({
      '/': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(SHELL);
      },
      '/app.js': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/javascript' }).end(APP);
      },
      '/api/items': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2,3]');
      },
      '/item/*': (req, res) => {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(ITEM(req.url!.split('/').pop()!));
      },
    });
    dir = tempDir();
    rt = await openRuntime(await testConfig(dir.path));
  });

  afterAll(async () => {
    await rt?.close();
    await server?.close();
    await dropPrefix(rt.config.runtime.redis.prefix);
    dir?.remove();
  });

  const crawl = (render: 'http' | 'browser' | 'auto') =>
    runCrawl(rt, {
      sites: [
        siteSchema.parse({
          id: `shop-${render}`,
          seeds: [server.url],
          allowPrivateNetwork: true,
          robots: 'ignore',
          render,
          politeness: { maxRps: 500, maxConcurrent: 4 },
        }),
      ],
      workers: { fetch: 4, classify: 2 },
      progressMs: 50,
    });

  const itemPages = async (crawlId: string) =>
    (
      await storeDb(rt.store)
        .selectFrom('pages')
        .select(['url', 'fetched_via'])
        .where('crawl_id', '=', crawlId)
        .execute()
    )
      .filter((p) => p.url.includes('/item/'))
      .map((p) => `${new URL(p.url).pathname} ${p.fetched_via}`)
      .sort();

  it('over plain HTTP the shell shows no listings', async () => {
    const summary = await crawl('http');
    expect(await itemPages(summary.crawlId)).toEqual([]);
    expect(summary.leads).toBe(0);
  });

  it('in browser mode the listings built by JavaScript are crawled and become leads, with screenshots', async () => {
    const summary = await crawl('browser');
    expect(await itemPages(summary.crawlId)).toEqual([
      '/item/1 browser',
      '/item/2 browser',
      '/item/3 browser',
    ]);
    expect(summary.leads).toBe(3);
    const lead = (await rt.store.leads({ siteId: ['shop-browser'] }))[0]!;
    const [evidence] = await rt.store.captures.ofLead(lead.id);
    expect(evidence?.manifest_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(evidence?.screenshot_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('in auto mode the shell is rendered in the browser and plain pages stay on HTTP', async () => {
    const summary = await crawl('auto');
    expect(await itemPages(summary.crawlId)).toEqual(['/item/1 http', '/item/2 http', '/item/3 http']);
    const home = await storeDb(rt.store)
      .selectFrom('pages')
      .select(['fetched_via'])
      .where('crawl_id', '=', summary.crawlId)
      .where('site_id', '=', 'shop-auto')
      .where('depth', '=', 0)
      .executeTakeFirstOrThrow();
    expect(home.fetched_via).toBe('browser');
    expect(summary.leads).toBe(3);
  });
});
