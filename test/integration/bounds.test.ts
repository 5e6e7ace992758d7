import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, siteSchema } from '../../src/config/index.ts';
import { openRuntime, runCrawl, type Runtime } from '../../src/runtime/index.ts';
import { type FixtureServer, startServer } from '../helpers/fixture-server.ts';
import { html } from '../helpers/hostile-routes.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';

const LINKS = 20_000;

describe('every bound is counted', () => {
  let server: FixtureServer;
  let dir: ReturnType<typeof tempDir>;
  let config: Config;
  let rt: Runtime;

  beforeAll(async () => {
    const index = Array.from({ length: LINKS }, (_, n) => `<a href="/x/${n}">${n}</a>`).join('');
    server = await startServer({
      '/': html(`<h1>Index</h1><a href="/x/1">first</a>${index}<a href="/big">big</a>`),
      '/big': html(`<p>${'Продаю диван. '.repeat(20_000)}</p>`),
      '/x/*': html('<p>item</p>'),
    });
    dir = tempDir();
    config = await testConfig(dir.path);
    rt = await openRuntime(config);
  });
  afterAll(async () => {
    await rt?.close();
    await server?.close();
    await dropPrefix(config.runtime.redis.prefix);
    dir?.remove();
  });

  const crawl = (site: Record<string, unknown>) =>
    runCrawl(rt, {
      sites: [
        siteSchema.parse({
          id: 'bounds',
          seeds: [`${server.url}/`],
          allowPrivateNetwork: true,
          robots: 'ignore',
          maxDepth: 1,
          politeness: { maxRps: 1000, maxConcurrent: 16 },
          evidence: { screenshots: false },
          ...site,
        }),
      ],
      workers: { fetch: 8, classify: 2 },
    });

  it('a page of 20,000 links: every link not followed is counted, over the per-page cap as max-links', async () => {
    const s = await crawl({ maxPages: 50 });
    expect(s.state).toBe('finished');
    // 5,000 links kept (the default maxLinks), the 15,001 others (with /big) counted; the index page's
    // body (about 500 kB) is within the default fetch.maxBytes, so nothing was cut.
    expect(s.cut).toEqual({});
    expect(s.skipped['max-links']).toBe(LINKS + 1 - 5000);
    const followed = s.pages - 1;
    expect(followed + (s.skipped['max-pages'] ?? 0) + (s.skipped['max-links'] ?? 0)).toBe(LINKS + 1);
  }, 120_000);

  it('maxLinks is a site setting; text and body cut at their bounds are counted', async () => {
    const s = await crawl({ maxPages: 3, maxLinks: 30_000 });
    expect(s.skipped['max-links']).toBeUndefined();
    // /x/0, /x/1 fetched; /big (last on the page) over maxPages.
    expect(s.skipped['max-pages']).toBe(LINKS + 1 - 2);
    const big = await crawl({ seeds: [`${server.url}/big`], maxPages: 1 });
    expect(big.cut).toEqual({ text: 1 });
    const cutBody = await crawl({ seeds: [`${server.url}/big`], maxPages: 1, fetch: { maxBytes: 100_000 } });
    expect(cutBody.cut).toEqual({ body: 1 });
  }, 120_000);
});
