import type { SiteConfig } from '../config/index.ts';
import { BrowserPool, type BrowserPoolOptions, needsBrowser } from './browser/index.ts';
import { fetchHttp, type HttpFetchOptions } from './http/index.ts';
import type { FetchedPage } from './types.ts';

/** Rough visible text of an HTML page (for the `auto` render decision only). */
function roughText(html: string): string {
  return html.replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1>|<[^>]+>/gi, ' ');
}

/**
 * Fetches pages the way their site is configured: plain HTTP, Chromium, or HTTP then Chromium for
 * JavaScript shells (`render: auto`). The browser is started on first use and shared by every site.
 */
export class SiteFetcher {
  private pool: BrowserPool | null = null;

  constructor(private readonly browserOptions: BrowserPoolOptions = {}) {}

  /** The shared browser pool (started on first call). */
  browser(): BrowserPool {
    this.pool ??= new BrowserPool(this.browserOptions);
    return this.pool;
  }

  async fetch(url: string, site: SiteConfig, checkUrl: (url: string) => void): Promise<FetchedPage> {
    if (site.render === 'browser') return this.render(url, site, checkUrl);
    const page = await this.http(url, site, checkUrl);
    if (
      site.render === 'auto' &&
      page.status < 400 &&
      page.contentType.includes('html') &&
      needsBrowser(page.text, roughText(page.text))
    ) {
      return this.render(url, site, checkUrl);
    }
    return page;
  }

  http(
    url: string,
    site: SiteConfig,
    checkUrl: (url: string) => void,
    extra: Pick<HttpFetchOptions, 'acceptTypes' | 'sniffBinary'> = {},
  ): Promise<FetchedPage> {
    const f = site.fetch;
    return fetchHttp(url, {
      ...extra,
      connectTimeoutMs: f.connectTimeoutMs,
      headersTimeoutMs: f.headersTimeoutMs,
      bodyTimeoutMs: f.bodyTimeoutMs,
      maxBytes: f.maxBytes,
      maxRedirects: f.maxRedirects,
      maxRetryAfterMs: f.maxRetryAfterMs,
      headers: f.headers,
      ...(f.userAgent ? { userAgent: f.userAgent } : {}),
      allowPrivateNetwork: site.allowPrivateNetwork,
      proxy: site.proxy,
      checkUrl,
    });
  }

  render(url: string, site: SiteConfig, checkUrl: (url: string) => void): Promise<FetchedPage> {
    const b = site.browser;
    return this.browser().render(url, {
      siteId: site.id,
      waitFor: b.waitFor,
      scroll: b.scroll,
      ...(b.loadMore ? { loadMore: b.loadMore } : {}),
      proxy: site.proxy,
      allowPrivateNetwork: site.allowPrivateNetwork,
      checkUrl,
      ...(site.fetch.userAgent ? { userAgent: site.fetch.userAgent } : {}),
      maxBytes: site.fetch.maxBytes,
      maxRedirects: site.fetch.maxRedirects,
      timeoutMs: site.fetch.headersTimeoutMs + site.fetch.bodyTimeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
