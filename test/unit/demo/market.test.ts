import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DemoMarket,
  demoCrawlPlan,
  demoPages,
  pageModel,
  SHARED_TRON,
  startDemoMarket,
} from '../../../src/demo/index.ts';

const HREF_RE = /<a\s[^>]*href="([^"]*)"/g;

function decodeEntities(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** Breadth-first crawl over served HTML; returns each same-origin URL (path + query) with its depth. */
async function crawl(base: string, maxDepth: number): Promise<Map<string, number>> {
  const origin = new URL(base).origin;
  const depthOf = new Map<string, number>([['/', 0]]);
  let frontier = ['/'];
  for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const path of frontier) {
      const { status, body } = await get(new URL(path, base).href);
      expect(status, path).toBe(200);
      for (const m of body.matchAll(HREF_RE)) {
        const url = new URL(decodeEntities(m[1] ?? ''), new URL(path, base));
        if (url.origin !== origin) continue;
        const key = url.pathname + url.search;
        if (!depthOf.has(key)) {
          depthOf.set(key, depth + 1);
          next.push(key);
        }
      }
    }
    frontier = next;
  }
  return depthOf;
}

describe('demo market', () => {
  let market: DemoMarket;

  beforeAll(async () => {
    market = await startDemoMarket({ port: 0 });
  });
  afterAll(async () => {
    await market.close();
  });

  it('listens on 127.0.0.1 and exposes the ground truth', () => {
    expect(market.url).toBe(`http://127.0.0.1:${market.port}/`);
    expect(market.pages).toEqual(demoPages());
    const paths = market.pages.map((p) => p.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(market.pages.length).toBeGreaterThanOrEqual(30);
  });

  it('has the content mix the tests rely on', () => {
    const pages = market.pages;
    const langs = new Set(pages.filter((p) => p.kind === 'listing').map((p) => p.lang));
    expect([...langs].sort()).toEqual(['en', 'kk', 'ky', 'ru', 'tg', 'uz', 'zh']);
    for (const p of pages) {
      expect(p.why.length, p.path).toBeGreaterThan(10);
      if (p.lead) {
        expect(p.kind, p.path).toBe('listing');
        expect(p.leadKind, p.path).toBeDefined();
        if (p.leadKind === 'sale') expect(p.category, p.path).toBeDefined();
      } else {
        expect(p.leadKind, p.path).toBeUndefined();
        expect(p.category, p.path).toBeUndefined();
      }
    }
    const cats = new Set(pages.filter((p) => p.leadKind === 'sale').map((p) => p.category));
    expect(cats).toEqual(new Set(['synthetic', 'nps', 'classic', 'pharma']));
    expect(pages.filter((p) => p.leadKind === 'recruitment').length).toBeGreaterThanOrEqual(2);
    expect(
      pages.filter((p) => !p.lead && p.kind !== 'index' && p.kind !== 'category').length,
    ).toBeGreaterThan(10);
    expect(pages.filter((p) => p.kind === 'trap')).toHaveLength(1);
  });

  it('reaches every ground-truth page from / within depth 3', async () => {
    const found = await crawl(market.url, 3);
    const foundPaths = new Set([...found.keys()].map((k) => k.split('?')[0]));
    for (const p of market.pages) expect(foundPaths.has(p.path), p.path).toBe(true);
    // Tracking parameters on some links: the same pages under utm_*, sid and ref.
    const keys = [...found.keys()];
    expect(keys.some((k) => k.includes('utm_source=tg'))).toBe(true);
    expect(keys.some((k) => k.includes('sid=abc123'))).toBe(true);
    expect(keys.some((k) => k.includes('ref='))).toBe(true);
    // The trap runs on: three calendar months within depth 3.
    expect(keys.filter((k) => k.startsWith('/calendar/'))).toEqual([
      '/calendar/2026/11',
      '/calendar/2026/12',
      '/calendar/2027/01',
    ]);
  });

  it('crawl plan matches what the server links', async () => {
    const found = await crawl(market.url, 3);
    const sortQuery = (k: string): string => {
      const u = new URL(k, 'http://x');
      u.searchParams.sort();
      return u.pathname + u.search;
    };
    expect(new Set([...found.keys()].map(sortQuery))).toEqual(new Set(demoCrawlPlan({ maxDepth: 3 })));
    const stripped = demoCrawlPlan({ maxDepth: 3, stripParams: ['utm_*', 'sid', 'ref'] });
    const truthPaths = market.pages.map((p) => p.path);
    expect(new Set(stripped)).toEqual(new Set([...truthPaths, '/calendar/2026/12', '/calendar/2027/01']));
    const noTrap = demoCrawlPlan({
      maxDepth: 3,
      stripParams: ['utm_*', 'sid', 'ref'],
      exclude: [/^\/calendar\//],
    });
    expect(noTrap.length).toBe(truthPaths.length - 1);
    expect(demoCrawlPlan({ maxDepth: 0 })).toEqual(['/']);
    expect(pageModel('/item/sol-alfa-pvp?ref=tg_channel#x')?.path).toBe('/item/sol-alfa-pvp');
  });

  it('serves every ground-truth page with 200 and a matching <html lang>', async () => {
    for (const p of market.pages) {
      const { status, type, body } = await get(new URL(p.path, market.url).href);
      expect(status, p.path).toBe(200);
      expect(type, p.path).toBe('text/html; charset=utf-8');
      expect(body, p.path).toContain(`<html lang="${p.lang}">`);
    }
  });

  it('uses the listing markup site selectors expect', async () => {
    const { body } = await get(new URL('/item/mef-kristall-vhq', market.url).href);
    for (const cls of ['listing', 'title', 'price', 'currency', 'seller', 'description']) {
      expect(body).toContain(`class="${cls}"`);
    }
    expect(body).toContain(SHARED_TRON);
    const linked = market.pages.filter((p) => p.why.includes('TRON'));
    expect(linked.length).toBe(2);
  });

  it('escapes text in the generated HTML', async () => {
    const { body } = await get(new URL('/item/uz-spays-toshkent', market.url).href);
    expect(body).toContain('Toshkent bo&#39;ylab');
    expect(body).not.toMatch(/<[^>]*bo'ylab/);
  });

  it('serves robots.txt and sitemap.xml', async () => {
    const robots = await get(new URL('/robots.txt', market.url).href);
    expect(robots.status).toBe(200);
    expect(robots.body).toMatch(/User-agent: \*\nAllow: \//);
    const sitemap = await get(new URL('/sitemap.xml', market.url).href);
    expect(sitemap.status).toBe(200);
    expect(sitemap.type).toContain('xml');
    for (const p of market.pages)
      expect(sitemap.body).toContain(`<loc>${new URL(p.path, market.url).href}</loc>`);
  });

  it('answers 404 for unknown paths and impossible calendar months', async () => {
    for (const path of [
      '/nope',
      '/item/unknown',
      '/category/drugs',
      '/calendar/2026/13',
      '/calendar/1999/01',
    ]) {
      const res = await get(new URL(path, market.url).href);
      expect(res.status, path).toBe(404);
    }
  });
});

describe('demo market close()', () => {
  it('frees the port', async () => {
    const market = await startDemoMarket();
    const res = await fetch(market.url);
    await res.text();
    await market.close();
    await expect(fetch(market.url)).rejects.toThrow();
    await new Promise<void>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(market.port, '127.0.0.1', () => srv.close(() => resolve()));
    });
    await market.close();
  });
});
