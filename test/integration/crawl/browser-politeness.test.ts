import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { siteSchema } from '../../../src/config/index.ts';
import { resolveChromiumPath } from '../../../src/crawl/browser/index.ts';
import { PolitenessGate, SiteFetcher } from '../../../src/crawl/index.ts';
import { type FixtureServer, startServer } from '../../helpers/fixture-server.ts';
import { html, raw } from '../../helpers/hostile-routes.ts';
import { needsChromium } from '../../helpers/requirements.ts';
import { dropPrefix, REDIS_URL, testPrefix } from '../../helpers/runtime.ts';

const SCRIPTS = 8;
const RPS = 5;

needsChromium("a rendered page's own requests pass the politeness gate", () => {
  let server: FixtureServer;
  let redis: Redis;
  const prefix = testPrefix();

  beforeAll(async () => {
    const scripts = Array.from({ length: SCRIPTS }, (_, i) => `<script src="/s/${i}.js"></script>`).join('');
    server = await startServer({
      '/': html(
        `<html><head><link rel="stylesheet" href="/c.css">${scripts}</head><body><p>shop</p></body></html>`,
      ),
      '/c.css': raw(200, { 'content-type': 'text/css' }, 'p { color: red }'),
      '/s/*': raw(200, { 'content-type': 'application/javascript' }, 'window.x = (window.x || 0) + 1;'),
    });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await server?.close();
    redis?.disconnect();
    await dropPrefix(prefix);
  });

  const site = siteSchema.parse({
    id: 'rendered',
    seeds: ['http://127.0.0.1/'],
    allowPrivateNetwork: true,
    render: 'browser',
    politeness: { maxRps: RPS },
  });

  /** Renders `/` and returns the arrival times of the page's own requests (all but the document). */
  async function render(fetcher: SiteFetcher): Promise<number[]> {
    const from = server.hits.length;
    try {
      const page = await fetcher.fetch(`${server.url}/`, site, () => {});
      expect(page.status).toBe(200);
    } finally {
      await fetcher.close();
    }
    return server.hits
      .slice(from)
      .filter((h) => h.path !== '/')
      .map((h) => h.at);
  }

  it(`at maxRps ${RPS}, scripts and styles come one interval apart, not in a burst`, async () => {
    const opts = { executablePath: resolveChromiumPath() };
    const ungated = await render(new SiteFetcher(opts));
    expect(ungated).toHaveLength(SCRIPTS + 1);
    // Without the gate the browser asks for them all at once.
    expect(Math.max(...ungated) - Math.min(...ungated)).toBeLessThan(((SCRIPTS * 1000) / RPS) * 0.5);

    const gated = await render(new SiteFetcher(opts, new PolitenessGate({ redis, prefix })));
    expect(gated).toHaveLength(SCRIPTS + 1);
    const span = Math.max(...gated) - Math.min(...gated);
    // SCRIPTS + 1 requests at RPS: SCRIPTS intervals between the first and the last, less what a busy
    // browser adds to when a granted request reaches the server (a burst would take almost no time).
    expect(span).toBeGreaterThanOrEqual(((SCRIPTS * 1000) / RPS) * 0.8);
    // And most requests one interval after the one before.
    const gaps = [...gated]
      .sort((a, b) => a - b)
      .slice(1)
      .map((t, i) => t - [...gated].sort((a, b) => a - b)[i]!)
      .sort((a, b) => a - b);
    expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual((1000 / RPS) * 0.8);
  }, 60_000);
});
