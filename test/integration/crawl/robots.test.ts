import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACCEPT_TYPES, DEFAULT_USER_AGENT, fetchHttp } from '../../../src/crawl/http/index.ts';
import { PolitenessGate, politenessSchema } from '../../../src/crawl/politeness/index.ts';
import { robotsModeSchema } from '../../../src/config/schema.ts';
import { type RobotsFetch, RobotsCache } from '../../../src/crawl/robots.ts';
import { parseSitemap, readSitemaps, type SitemapFetch, sitemapRoots } from '../../../src/crawl/sitemap.ts';
import { NonRetryableError, RetryLaterError } from '../../../src/errors.ts';
import { type FixtureServer, type RouteHandler, startServer } from '../../helpers/fixture-server.ts';
import { dropPrefix, REDIS_URL, testPrefix } from '../../helpers/runtime.ts';

const page: RouteHandler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' }).end('<p>page</p>');
};
const text =
  (body: string | Buffer, type = 'text/plain', status = 200): RouteHandler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': type }).end(body);
  };

/** The site's fetcher, as the worker would inject it. */
const robotsFetch: RobotsFetch = async (url) => {
  const p = await fetchHttp(url, { allowPrivateNetwork: true });
  return { status: p.status, text: p.text };
};
const sitemapFetch: SitemapFetch = async (url) => {
  const p = await fetchHttp(url, {
    allowPrivateNetwork: true,
    acceptTypes: [...DEFAULT_ACCEPT_TYPES, 'application/gzip', 'application/x-gzip'],
  });
  return { status: p.status, body: p.body };
};
const obey = { mode: 'obey', userAgent: DEFAULT_USER_AGENT, fetch: robotsFetch } as const;

describe('robots.txt and sitemaps', () => {
  let site: FixtureServer;
  let plain: FixtureServer;
  let flaky: FixtureServer;
  let robotsDown = true;

  beforeAll(async () => {
    site = await startServer({
      '/robots.txt': (req, res) => {
        const origin = `http://${req.headers.host}`;
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(
            [
              '# test robots',
              'User-agent: OtherBot',
              'Disallow: /',
              '',
              'User-agent: *',
              'Disallow: /private',
              'Allow: /private/open',
              'Crawl-delay: 0.5',
              '',
              `Sitemap: ${origin}/sitemap_index.xml`,
            ].join('\n'),
          );
      },
      '/sitemap_index.xml': (req, res) => {
        const o = `http://${req.headers.host}`;
        res.writeHead(200, { 'content-type': 'application/xml' }).end(
          `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>${o}/sitemap-a.xml</loc><lastmod>2026-01-01</lastmod></sitemap>
  <sitemap><loc> ${o}/sitemap-b.xml.gz </loc></sitemap>
  <sitemap><loc>${o}/nested-index.xml</loc></sitemap>
  <sitemap><loc>http://elsewhere.invalid/sitemap.xml</loc></sitemap>
  <sitemap><loc>${o}/missing.xml</loc></sitemap>
</sitemapindex>`,
        );
      },
      '/sitemap-a.xml': (req, res) => {
        const o = `http://${req.headers.host}`;
        res.writeHead(200, { 'content-type': 'text/xml' }).end(
          `\uFEFF<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>${o}/shop/item?id=1&amp;lang=ru</loc><image:image><image:loc>${o}/img/1.jpg</image:loc></image:image></url>
  <url><loc><![CDATA[${o}/shop/item?id=2&lang=ru]]></loc></url>
  <url><loc>javascript:alert(1)</loc></url>
  <junk <<< not xml at all >>>
  <url><loc>${o}/shop/%D0%BA%D0%BB%D0%B0%D0%B4#frag</loc></url>
  <url><loc>${o}/shop/item?id=1&amp;lang=ru</loc></url>
</urlset>`,
        );
      },
      '/sitemap-b.xml.gz': (req, res) => {
        const o = `http://${req.headers.host}`;
        const xml = `<urlset><url><loc>${o}/gz/1</loc></url><url><loc>${o}/gz/2</loc></url></urlset>`;
        res.writeHead(200, { 'content-type': 'application/gzip' }).end(gzipSync(xml));
      },
      '/nested-index.xml': (req, res) => {
        const o = `http://${req.headers.host}`;
        res
          .writeHead(200, { 'content-type': 'application/xml' })
          .end(`<sitemapindex><sitemap><loc>${o}/sitemap-c.txt</loc></sitemap></sitemapindex>`);
      },
      '/sitemap-c.txt': (req, res) => {
        const o = `http://${req.headers.host}`;
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${o}/text/1\n\nnot a url\n${o}/text/2\n`);
      },
      '/bomb.xml.gz': (req, res) => {
        const o = `http://${req.headers.host}`;
        const entries = Array.from({ length: 20_000 }, (_, i) => `<url><loc>${o}/b/${i}</loc></url>`).join(
          '',
        );
        res
          .writeHead(200, { 'content-type': 'application/gzip' })
          .end(gzipSync(`<urlset>${entries}</urlset>`));
      },
      '*': page,
    });
    plain = await startServer({ '/robots.txt': text('no such file', 'text/plain', 404), '*': page });
    flaky = await startServer({
      '/robots.txt': (_req, res) => {
        if (robotsDown) res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
        else res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /admin\n');
      },
      '*': page,
    });
  });
  afterAll(async () => {
    await Promise.all([site?.close(), plain?.close(), flaky?.close()]);
  });

  let prefix: string;
  let redis: Redis;
  let robots: RobotsCache;
  beforeEach(() => {
    prefix = testPrefix();
    redis = new Redis(REDIS_URL);
    robots = new RobotsCache({ redis, prefix, unreachableTtlMs: 300 });
  });
  afterEach(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  const robotsHits = (s: FixtureServer) => s.hits.filter((h) => h.path === '/robots.txt').length;

  it('obey: refuses a disallowed path, allows the rest, fetches robots.txt once for all workers', async () => {
    const before = robotsHits(site);
    // Two caches stand for two worker processes sharing Redis; they ask at the same moment.
    const other = new RobotsCache({ redis, prefix });
    const [a, b] = await Promise.all([
      robots.check(`${site.url}/private/page`, obey),
      other.check(`${site.url}/public`, obey),
    ]);
    expect(a).toMatchObject({ mode: 'obey', allowed: false, robots: 'parsed', crawlDelayMs: 500 });
    expect(b).toMatchObject({ mode: 'obey', allowed: true, robots: 'parsed', crawlDelayMs: 500 });
    expect((await robots.check(`${site.url}/private/open/x`, obey)).allowed).toBe(true);
    expect((await robots.check(`${site.url}/x`, { ...obey, userAgent: 'OtherBot/2.0' })).allowed).toBe(false);

    const err = await robots.enforce(`${site.url}/private/page`, obey).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('robots');
    expect(robotsHits(site) - before).toBe(1);
    expect(site.hits.some((h) => h.path === '/private/page')).toBe(false);
    expect((await robots.get(`${site.url}/`, robotsFetch)).sitemaps).toEqual([
      `${site.url}/sitemap_index.xml`,
    ]);
  });

  it('obey: honours Crawl-delay through the politeness gate', async () => {
    const gate = new PolitenessGate({ redis, prefix });
    const host = new URL(site.url).host;
    const policy = politenessSchema.parse({ maxRps: 20 });
    for (let i = 0; i < 3; i++) {
      const url = `${site.url}/delayed/${i}`;
      const verdict = await robots.enforce(url, obey);
      const slot = await gate.enter(host, { ...policy, crawlDelayMs: verdict.crawlDelayMs });
      expect(slot.kind).toBe('go');
      if (slot.kind !== 'go') return;
      await fetchHttp(url, { allowPrivateNetwork: true });
      await slot.leave('ok');
    }
    const at = site.hits.filter((h) => h.path.startsWith('/delayed/')).map((h) => h.at);
    expect(at).toHaveLength(3);
    // Sent exactly 500 ms apart (not maxRps 20's 50 ms); arrivals carry each request's latency.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(400);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(400);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(950);
  });

  it('ignore: neither fetches nor applies robots.txt', async () => {
    const before = robotsHits(site);
    const verdict = await robots.enforce(`${site.url}/private/page`, { ...obey, mode: 'ignore' });
    expect(verdict).toEqual({ mode: 'ignore', allowed: true, robots: 'skipped' });
    const res = await fetchHttp(`${site.url}/private/page`, { allowPrivateNetwork: true });
    expect(res.status).toBe(200);
    expect(robotsHits(site)).toBe(before);
    expect(robotsModeSchema.parse(undefined)).toBe('obey');
    expect(robotsModeSchema.safeParse('sometimes').success).toBe(false);
  });

  it('a robots.txt 404 allows everything', async () => {
    const verdict = await robots.enforce(`${plain.url}/anything/at/all`, obey);
    expect(verdict).toEqual({ mode: 'obey', allowed: true, robots: 'missing' });
    expect(robotsHits(plain)).toBe(1);
  });

  it('an unreachable robots.txt (5xx) disallows for a while, then is fetched again', async () => {
    robotsDown = true;
    const err = await robots.enforce(`${flaky.url}/page`, obey).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).reason).toBe('robots');
    robotsDown = false;
    // Still cached as unreachable: no new fetch yet.
    expect((await robots.check(`${flaky.url}/page`, obey)).robots).toBe('unreachable');
    await new Promise((r) => setTimeout(r, 350));
    expect(await robots.enforce(`${flaky.url}/page`, obey)).toMatchObject({
      allowed: true,
      robots: 'parsed',
    });
    expect((await robots.check(`${flaky.url}/admin`, obey)).allowed).toBe(false);
    expect(robotsHits(flaky)).toBe(2);
  });

  it('reads a sitemap index with gzip, text and nested sitemaps into the expected URLs', async () => {
    const file = await robots.get(`${site.url}/`, robotsFetch);
    const roots = sitemapRoots(file.origin, file.sitemaps);
    const result = await readSitemaps(roots, sitemapFetch);
    const o = site.url;
    expect(result.urls).toEqual([
      `${o}/shop/item?id=1&lang=ru`,
      `${o}/shop/item?id=2&lang=ru`,
      `${o}/shop/%D0%BA%D0%BB%D0%B0%D0%B4`,
      `${o}/gz/1`,
      `${o}/gz/2`,
      `${o}/text/1`,
      `${o}/text/2`,
    ]);
    expect(result.sitemaps).toEqual([
      `${o}/sitemap_index.xml`,
      `${o}/sitemap-a.xml`,
      `${o}/sitemap-b.xml.gz`,
      `${o}/nested-index.xml`,
      `${o}/missing.xml`,
      `${o}/sitemap-c.txt`,
    ]);
    expect(result.errors.map((e) => e.url)).toEqual([
      'http://elsewhere.invalid/sitemap.xml',
      `${o}/missing.xml`,
    ]);
    expect(result.limited).toEqual([]);

    const shallow = await readSitemaps(roots, sitemapFetch, { maxDepth: 1 });
    expect(shallow.urls).not.toContain(`${o}/text/1`);
    expect(shallow.limited).toEqual(['maxDepth']);
  });

  it('bounds a large gzip sitemap by bytes and by URL count', async () => {
    const byBytes = await readSitemaps([`${site.url}/bomb.xml.gz`], sitemapFetch, { maxBytes: 64 * 1024 });
    expect(byBytes.limited).toContain('maxBytes');
    expect(byBytes.urls.length).toBeGreaterThan(100);
    expect(byBytes.urls.length).toBeLessThan(3000);
    expect(byBytes.urls[0]).toBe(`${site.url}/b/0`);

    const byCount = await readSitemaps([`${site.url}/bomb.xml.gz`], sitemapFetch, { maxUrls: 1000 });
    expect(byCount.urls).toHaveLength(1000);
    expect(byCount.limited).toEqual(['maxUrls']);
  });

  it('tolerates junk', () => {
    expect(parseSitemap('<html><body>nope</body></html>', 'http://a.test/s.xml')).toBeNull();
    expect(parseSitemap('', 'http://a.test/s.xml')).toBeNull();
    expect(
      parseSitemap('<urlset><url><loc>/rel/1</loc></url><url><loc>http://a.test/cut', 'http://a.test/s.xml'),
    ).toEqual({ kind: 'urlset', locs: ['http://a.test/rel/1'] });
    expect(
      parseSitemap(
        '<sm:urlset xmlns:sm="x"><sm:url><sm:loc>http://a.test/p</sm:loc></sm:url></sm:urlset>',
        'http://a.test/',
      ),
    ).toEqual({
      kind: 'urlset',
      locs: ['http://a.test/p'],
    });
  });

  // A file of `<loc>`s none of which is closed: each one used to be read to the end of the file.
  it('reads a hostile sitemap of unclosed entries in one pass', () => {
    const head = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">';
    const closed = '<url><loc>http://a.test/1</loc></url><url><loc >http://a.test/2</loc ></url>';
    const body = head + closed + '<url><loc>http://a.test/x'.repeat(200_000);
    const started = performance.now();
    expect(parseSitemap(body, 'http://a.test/s.xml')).toEqual({
      kind: 'urlset',
      locs: ['http://a.test/1', 'http://a.test/2'],
    });
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
