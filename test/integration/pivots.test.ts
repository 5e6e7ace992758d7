import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/index.ts';
import { openRuntime, type Runtime, runCrawl } from '../../src/runtime/index.ts';
import { type FixtureServer, startServer } from '../helpers/fixture-server.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';

const TRON = 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7';
const HANDLE = 'mef_kz_shop';

const page = (title: string, body: string) =>
  `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
const listing = (title: string, extra: string) =>
  page(title, `<h1>${title}</h1><p>Мефедрон кристалл 1г — 3500₽, закладки по городу. ${extra}</p>`);
const html = (body: string) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
};

describe('linking across sites and pivot searches', () => {
  let a: FixtureServer;
  let b: FixtureServer;
  let rt: Runtime;
  let dir: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    a = await startServer({
      '/': html(page('Shop A', '<a href="/item/1">1</a> <a href="/item/2">2</a> <a href="/about">about</a>')),
      '/item/1': html(listing('Меф Алматы', `Оплата USDT TRC20: ${TRON}. Пишите @${HANDLE}`)),
      '/item/2': html(listing('Меф Астана', `Кошелёк ${TRON}, оператор в телеграм: @${HANDLE}`)),
      '/about': html(page('About', '<p>Магазин работает с 2024 года.</p>')),
    });
    b = await startServer({
      '/': html(page('Board B', '<p>Доска объявлений.</p>')),
      // The board's search finds its listing by wallet or handle; nothing else links to it.
      '/search': (req, res) => {
        const q = new URL(req.url ?? '/', 'http://x').searchParams.get('q') ?? '';
        const hit = q === TRON || q.replace(/^@/, '') === HANDLE;
        html(
          page(
            'Search',
            hit ? '<a href="/item/77">Результат: объявление 77</a>' : '<p>Ничего не найдено</p>',
          ),
        )(req, res);
      },
      '/item/77': html(listing('Меф Шымкент', `USDT ${TRON}, связь @${HANDLE}`)),
    });
    dir = tempDir();
    rt = await openRuntime(await testConfig(dir.path));
  });

  afterAll(async () => {
    await rt?.close();
    await a?.close();
    await b?.close();
    await dropPrefix(rt.config.runtime.redis.prefix);
    dir?.remove();
  });

  const polite = { maxRps: 500, maxConcurrent: 8 };
  const crawl = () =>
    runCrawl(rt, {
      sites: [
        siteSchema.parse({
          id: 'a',
          seeds: [a.url],
          allowPrivateNetwork: true,
          robots: 'ignore',
          politeness: polite,
        }),
      ],
      pivotSites: [
        siteSchema.parse({
          id: 'b',
          seeds: [b.url],
          allowPrivateNetwork: true,
          robots: 'ignore',
          politeness: polite,
          search: { url: `${b.url.replace(/\/$/, '')}/search?q={query}`, types: ['crypto', 'telegram'] },
        }),
      ],
      workers: { fetch: 4, classify: 2 },
      progressMs: 50,
    });

  const counts = async () => ({
    identifiers: (await storeDb(rt.store).selectFrom('identifiers').select('id').execute()).length,
    edges: (await storeDb(rt.store).selectFrom('page_identifiers').select('page_id').execute()).length,
    pivots: (await storeDb(rt.store).selectFrom('pivots').selectAll().execute()).length,
    leads: (await storeDb(rt.store).selectFrom('leads').select('id').execute()).length,
  });

  it('a crawl of site A finds site B’s listing through a pivot search, and all three leads form one cluster', async () => {
    const summary = await crawl();
    expect(summary.failed).toBe(0);
    const leads = await rt.store.leads();
    expect(leads.map((l) => `${l.site_id}${new URL(l.url).pathname}`).sort()).toEqual([
      'a/item/1',
      'a/item/2',
      'b/item/77',
    ]);
    // B's home was never crawled: only the search led there.
    expect(b.hits.some((h) => h.path === '/')).toBe(false);
    const pivoted = leads.find((l) => l.site_id === 'b')!;
    expect(pivoted.found_via).toMatch(new RegExp(`^pivot:(tron:${TRON}|telegram:${HANDLE})$`));
    expect(leads.filter((l) => l.site_id === 'a').every((l) => l.found_via === 'link')).toBe(true);

    const clusterIds = new Set(leads.map((l) => l.cluster_id));
    expect(clusterIds.size).toBe(1);
    const cluster = (await rt.store.cluster([...clusterIds][0]!))!;
    expect(cluster.sites).toEqual(['a', 'b']);
    expect(cluster.leads).toHaveLength(3);
    expect(cluster.identifiers.map((i) => `${i.type}:${i.value}:${i.leads}`).sort()).toEqual([
      `telegram:${HANDLE}:3`,
      `tron:${TRON}:3`,
    ]);
    // One search per identifier on B.
    const searches = b.hits.filter((h) => h.path.startsWith('/search'));
    expect(searches).toHaveLength(2);
    expect(await counts()).toEqual({ identifiers: 2, edges: 6, pivots: 2, leads: 3 });
  });

  it('re-crawling adds no duplicate identifiers, edges, pivots or leads', async () => {
    const before = await counts();
    const searchesBefore = b.hits.filter((h) => h.path.startsWith('/search')).length;
    await crawl();
    expect(await counts()).toEqual(before);
    expect(b.hits.filter((h) => h.path.startsWith('/search')).length).toBe(searchesBefore);
  });
});
