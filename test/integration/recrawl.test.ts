import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/index.ts';
import { type CrawlSummary, openRuntime, type Runtime, runSchedules } from '../../src/runtime/index.ts';
import { type FixtureServer, startServer } from '../helpers/fixture-server.ts';
import { dropPrefix, tempDir, testConfig } from '../helpers/runtime.ts';

describe('scheduled recrawls', () => {
  let server: FixtureServer;
  let rt: Runtime;
  let dir: ReturnType<typeof tempDir>;
  // The listing changes after the first crawl and disappears after the second.
  let version = 0;

  beforeAll(async () => {
    server = await startServer({
      '/': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<a href="/item/1">1</a>');
      },
      '/item/1': (_req, res) => {
        if (version >= 2) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('removed');
          return;
        }
        const price = version === 0 ? '3500₽' : '3000₽, акция';
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(`<p>Мефедрон кристалл 1г — ${price}. Закладки магнит по городу, пишите в телеграм.</p>`);
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

  it('recrawls on schedule: a changed listing is re-classified with history, a removed one is marked gone', async () => {
    const site = siteSchema.parse({
      id: 'shop',
      seeds: [server.url],
      allowPrivateNetwork: true,
      robots: 'ignore',
      politeness: { maxRps: 500, maxConcurrent: 4 },
      evidence: { screenshots: false },
      recrawl: { every: '1500ms' },
    });
    const crawls: CrawlSummary[] = [];
    const abort = new AbortController();
    await runSchedules(rt, {
      sites: [site],
      workers: { fetch: 4, classify: 2 },
      signal: abort.signal,
      onCrawl: (s) => {
        crawls.push(s);
        version++;
        if (crawls.length === 3) abort.abort();
      },
    });
    expect(crawls).toHaveLength(3);
    expect(crawls.map((c) => c.leads)).toEqual([1, 1, 0]);
    const [lead] = await rt.store.leads();
    expect(lead!.gone_at).not.toBeNull();
    const history = await rt.store.history(lead!.id);
    expect(history.map((h) => h.event)).toEqual(['created', 'changed', 'gone']);
    expect(history[2]!.at).toBe(lead!.gone_at);
    // The site's job scheduler is kept in Redis for the next `schedule` process to find.
    expect(
      await rt.conn.keys(`${rt.config.runtime.redis.prefix}:recrawl:repeat:site-shop*`),
    ).not.toHaveLength(0);
  });
});
