import dns from 'node:dns/promises';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../../src/crawl/browser/index.ts';
import { classifyAddress } from '../../../src/crawl/http/ssrf.ts';
import { NonRetryableError, TransientError } from '../../../src/errors.ts';
import {
  closedPort,
  type FixtureSite,
  type SocksProxy,
  startFixtureSite,
  startSocksProxy,
} from '../../helpers/browser-fixtures.ts';
import { needsChromium } from '../../helpers/requirements.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

needsChromium('browser fetcher (real Chromium)', () => {
  let site: FixtureSite;
  let pool: BrowserPool;
  const local = { siteId: 'fixture', allowPrivateNetwork: true } as const;

  beforeAll(async () => {
    site = await startFixtureSite();
    pool = new BrowserPool({ maxConcurrentPages: 4, navigationTimeoutMs: 15_000 });
  });
  afterAll(async () => {
    await pool?.close();
    await site?.close();
  });

  it('renders listings that only exist after JavaScript runs, with links from the rendered DOM', async () => {
    const page = await pool.render(`${site.origin}/shop`, { ...local, waitFor: { selector: '#ready' } });
    expect(page.via).toBe('browser');
    expect(page.status).toBe(200);
    expect(page.contentType).toBe('text/html');
    expect(page.headers['x-fixture']).toBe('yes');
    expect(page.charset).toBe('utf-8');
    expect(page.text).toContain('Listing 12 mephedrone 1g closed-drop');
    expect(page.text).toContain('href="/listing/7"');
    expect(page.body.toString('utf8')).toBe(page.text);
    expect(page.finalUrl).toBe(`${site.origin}/shop`);
    expect(page.redirects).toEqual([]);
    expect(Date.parse(page.fetchedAt)).not.toBeNaN();
    expect(page.elapsedMs).toBeGreaterThan(0);
  });

  it("waits for a shell's data by default ('load' then quiet network)", async () => {
    const page = await pool.render(`${site.origin}/shop`, local);
    expect(page.text).toContain('12 listings');
  });

  it('blocks images (the server never sees an image request)', async () => {
    site.requests.length = 0;
    await pool.render(`${site.origin}/shop`, { ...local, waitFor: 'networkidle' });
    expect(site.requests).toContain('/shop');
    expect(site.requests).toContain('/api/listings');
    expect(site.requests.filter((r) => r.endsWith('.png'))).toEqual([]);
  });

  it('takes a full-page PNG screenshot', async () => {
    const page = await pool.render(`${site.origin}/shop`, { ...local, screenshot: true });
    expect(page.screenshot).toBeDefined();
    const png = page.screenshot ?? Buffer.alloc(0);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(1024);
  });

  it('follows redirects and reports the chain', async () => {
    const hops: string[] = [];
    const page = await pool.render(`${site.origin}/redirect`, {
      ...local,
      checkUrl: (u) => void hops.push(u),
    });
    expect(page.finalUrl).toBe(`${site.origin}/shop`);
    expect(page.redirects).toEqual([`${site.origin}/hop`, `${site.origin}/shop`]);
    expect(hops).toEqual([`${site.origin}/hop`, `${site.origin}/shop`]);
  });

  it('refuses a redirect hop that checkUrl rejects, before requesting it', async () => {
    site.requests.length = 0;
    const err = await pool
      .render(`${site.origin}/redirect`, {
        ...local,
        checkUrl: (u) => {
          if (u.endsWith('/shop')) throw new NonRetryableError('out-of-scope', `${u} is out of scope`);
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('out-of-scope');
    expect(site.requests).toEqual(['/redirect', '/hop']);
  });

  it('vets client-side navigations of the main frame with checkUrl too', async () => {
    site.requests.length = 0;
    const err = await pool
      .render(`${site.origin}/refresh-to?to=/listing/9`, {
        ...local,
        checkUrl: (u) => {
          throw new NonRetryableError('out-of-scope', `${u} is out of scope`);
        },
      })
      .catch((e: unknown) => e);
    expect((err as NonRetryableError).reason).toBe('out-of-scope');
    expect(site.requests).not.toContain('/listing/9');
  });

  it('counts client-side navigations and HTTP redirects against maxRedirects alike', async () => {
    // /refresh-to (script) → /redirect (302) → /hop (301) → /shop: three hops.
    const url = `${site.origin}/refresh-to?to=/redirect`;
    const page = await pool.render(url, { ...local, maxRedirects: 3 });
    expect(page.finalUrl).toBe(`${site.origin}/shop`);
    expect(page.text).toContain('12 listings');
    site.requests.length = 0;
    const err = await pool.render(url, { ...local, maxRedirects: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('redirect-limit');
    expect(site.requests).not.toContain('/shop');
  });

  it("a rendered page's scripts stop when render() returns (the page is parked on about:blank)", async () => {
    const beacons = () => site.requests.filter((r) => r === '/beacon').length;
    const page = await pool.render(`${site.origin}/beacons`, { ...local, waitFor: { selector: '#up' } });
    expect(page.text).toContain('id="up"');
    const atReturn = beacons();
    expect(atReturn).toBeGreaterThan(0);
    // Alive, the page would call home about 7 more times in this wait.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(beacons()).toBe(atReturn);
  });

  it('"load more" clicks reveal more items', async () => {
    const first = await pool.render(`${site.origin}/more`, local);
    expect(first.text.match(/class="listing"/g)?.length).toBe(5);
    const page = await pool.render(`${site.origin}/more`, {
      ...local,
      loadMore: { selector: '#more', maxClicks: 10 },
    });
    expect(page.text.match(/class="listing"/g)?.length).toBe(20);
    expect(page.text).toContain('Listing 20 mephedrone');
  });

  it('closes pop-ups, dismisses dialogs and refuses downloads', async () => {
    const before = pool.stats();
    const page = await pool.render(`${site.origin}/popup`, local);
    expect(page.text).toContain('main page');
    expect(page.finalUrl).toBe(`${site.origin}/popup`);
    const dl = await pool.render(`${site.origin}/download`, local);
    expect(dl.text).toContain('download page');
    const after = pool.stats();
    expect(after.popupsClosed).toBeGreaterThan(before.popupsClosed);
    expect(after.downloadsRefused).toBeGreaterThan(before.downloadsRefused);
    const direct = await pool.render(`${site.origin}/attachment`, local).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(NonRetryableError);
    expect((direct as NonRetryableError).reason).toBe('content-type');
  });

  it('ends a hanging page at the timeout; the renders beside it and the browser go on', async () => {
    const before = pool.stats();
    const pid = await pool.browserPid();
    const started = Date.now();
    // Still loading when the hanging page's renderer has to be crashed (3 s timeout + 5 s to close).
    const beside = pool.render(`${site.origin}/slow?ms=9000`, { ...local, timeoutMs: 20_000 });
    const err = await pool
      .render(`${site.origin}/hang`, { ...local, timeoutMs: 3_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await beside).status).toBe(200);
    const page = await pool.render(`${site.origin}/shop`, local);
    expect(page.text).toContain('12 listings');
    expect(await pool.browserPid()).toBe(pid);
    expect(pool.stats().crashes).toBe(before.crashes);
  });

  it('recovers from a browser killed mid-render', async () => {
    const before = pool.stats();
    const pid = await pool.browserPid();
    expect(pid).toBeTypeOf('number');
    const inflight = pool.render(`${site.origin}/slow?ms=5000`, local).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    process.kill(pid ?? 0, 'SIGKILL');
    const err = await inflight;
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).reason).toBe('browser');
    const page = await pool.render(`${site.origin}/shop`, local);
    expect(page.text).toContain('12 listings');
    const after = pool.stats();
    expect(after.crashes).toBe(before.crashes + 1);
    expect(after.launches).toBe(before.launches + 1);
    expect(await pool.browserPid()).not.toBe(pid);
  });

  it('screenshotHtml makes no request at all', async () => {
    site.requests.length = 0;
    const conns = site.connections;
    const o = site.origin;
    const html = `<!doctype html><html><head>
      <link rel="preconnect" href="${o}"><link rel="dns-prefetch" href="${o}">
      <link rel="stylesheet" href="${o}/style.css"><meta http-equiv="refresh" content="0;url=${o}/refresh">
      <style>@import url("${o}/import.css"); body { background: url("${o}/bg.png"); }</style></head>
      <body><h1>Evidence ${'text '.repeat(200)}</h1><img src="${o}/x.png"><iframe src="${o}/frame"></iframe>
      <script>fetch("${o}/script"); new Image().src = "${o}/script.png";</script>
      <script src="${o}/external.js"></script><video src="${o}/v.mp4"></video></body></html>`;
    const png = await pool.screenshotHtml(html, `${o}/listing/1`);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(1024);
    await new Promise((r) => setTimeout(r, 300));
    expect(site.requests).toEqual([]);
    expect(site.connections).toBe(conns);
  });

  it('refuses private addresses when allowPrivateNetwork is false', async () => {
    site.requests.length = 0;
    const literal = await pool.render(`${site.origin}/shop`, { siteId: 'public' }).catch((e: unknown) => e);
    expect(literal).toBeInstanceOf(NonRetryableError);
    expect((literal as NonRetryableError).reason).toBe('private-network');
    const named = await pool
      .render(`http://localhost:${site.port}/shop`, { siteId: 'public' })
      .catch((e: unknown) => e);
    expect((named as NonRetryableError).reason).toBe('private-network');
    expect(site.requests).toEqual([]);
    expect(pool.stats().privateRefused).toBeGreaterThanOrEqual(2);
  });

  it('refuses a host name that resolves to a private address (checked after DNS)', async (ctx) => {
    const host = os.hostname();
    const resolved = await dns.lookup(host).catch(() => undefined);
    if (!resolved || classifyAddress(resolved.address) === 'public') {
      ctx.skip();
      return;
    }
    const other = await startFixtureSite(resolved.address);
    try {
      const err = await pool
        .render(`http://${host}:${other.port}/shop`, { siteId: 'public' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonRetryableError);
      expect((err as NonRetryableError).reason).toBe('private-network');
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });

  describe('through a SOCKS5 proxy', () => {
    let proxy: SocksProxy;
    beforeAll(async () => {
      proxy = await startSocksProxy({ host: '127.0.0.1', port: site.port });
    });
    afterAll(async () => {
      await proxy?.close();
    });

    it('sends .onion host names to the proxy unresolved', async () => {
      const onion = 'spiderwebfixtureabcdefghijklmnopqrstuvwxyz234567abcdefgh.onion';
      const page = await pool.render(`http://${onion}/shop`, {
        siteId: 'onion-market',
        proxy: proxy.url,
        waitFor: { selector: '#ready' },
      });
      expect(page.text).toContain('Listing 3 mephedrone');
      expect(page.finalUrl).toBe(`http://${onion}/shop`);
      expect(proxy.targets).toContain(`${onion}:80`);
      expect(proxy.targets.every((t) => t.startsWith(onion))).toBe(true);
    });

    it('refuses a redirect from a proxied host to a private address', async () => {
      site.requests.length = 0;
      const target = `${site.origin}/shop`;
      const err = await pool
        .render(`http://market.onion/redirect-to?to=${encodeURIComponent(target)}`, {
          siteId: 'onion-market',
          proxy: proxy.url,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonRetryableError);
      expect((err as NonRetryableError).reason).toBe('private-network');
      expect(site.requests.filter((r) => r === '/shop')).toEqual([]);
    });

    it('fails with TransientError(proxy) when the proxy is dead, never going direct', async () => {
      site.requests.length = 0;
      const port = await closedPort();
      const err = await pool
        .render(`${site.origin}/shop`, {
          ...local,
          siteId: 'dead-proxy',
          proxy: `socks5h://127.0.0.1:${port}`,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).reason).toBe('proxy');
      expect(site.requests).toEqual([]);
    });
  });

  it('recycles the browser after maxPagesPerBrowser pages', async () => {
    const small = new BrowserPool({ maxPagesPerBrowser: 2, maxConcurrentPages: 2 });
    try {
      for (let i = 0; i < 5; i++) await small.render(`${site.origin}/listing/${i}`, local);
      expect(small.stats()).toMatchObject({ launches: 3, pagesRendered: 5, crashes: 0 });
    } finally {
      await small.close();
    }
  });
});
