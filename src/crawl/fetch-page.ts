import { setTimeout as sleep } from 'node:timers/promises';
import type { SiteConfig } from '../config/index.ts';
import { RetryLaterError } from '../errors.ts';
import { BrowserPool, type BrowserPoolOptions, needsBrowser, roughText } from './browser/index.ts';
import { fetchHttp, type HttpFetchOptions } from './http/index.ts';
import { intervalMs, type PolitenessGate } from './politeness/index.ts';
import type { FetchedPage } from './types.ts';

/** Longest a rendered page's own request waits for its host's turn before it is aborted (ms). */
const SUBREQUEST_MAX_WAIT_MS = 10_000;

/**
 * Fetches pages the way their site is configured: plain HTTP, Chromium, or HTTP then Chromium for
 * JavaScript shells (`render: auto`). The browser is started on first use and shared by every site.
 */
export class SiteFetcher {
  private pool: BrowserPool | null = null;

  /**
   * `gate`: the shared politeness gate. With it, a rendered page's own requests (scripts, styles, XHR,
   * frames) wait for their host's rate slot like any fetch; without it they go at once.
   */
  constructor(
    private readonly browserOptions: BrowserPoolOptions = {},
    private readonly gate?: PolitenessGate,
  ) {}

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
      ...(this.gate ? { beforeRequest: (u: string) => this.waitTurn(u, site) } : {}),
    });
  }

  /** Waits for `url`'s host's next rate slot under the site's politeness, or throws when it is too far off. */
  private async waitTurn(url: string, site: SiteConfig): Promise<void> {
    const host = new URL(url).host;
    const turn = await this.gate!.reserve(host, intervalMs(site.politeness), SUBREQUEST_MAX_WAIT_MS);
    if (!turn.reserved) throw new RetryLaterError('politeness', `${host}: rate`, turn.waitMs);
    if (turn.waitMs > 0) await sleep(turn.waitMs);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
