import type { SiteConfig } from '../config/index.ts';
import { fetchHttp } from './http/index.ts';
import type { FetchedPage } from './types.ts';

/** Fetches a URL the way its site is configured (limits, proxy, private-network policy). */
export function fetchForSite(
  url: string,
  site: SiteConfig,
  checkUrl: (url: string) => void,
): Promise<FetchedPage> {
  const f = site.fetch;
  return fetchHttp(url, {
    connectTimeoutMs: f.connectTimeoutMs,
    headersTimeoutMs: f.headersTimeoutMs,
    bodyTimeoutMs: f.bodyTimeoutMs,
    maxBytes: f.maxBytes,
    maxRedirects: f.maxRedirects,
    headers: f.headers,
    ...(f.userAgent ? { userAgent: f.userAgent } : {}),
    allowPrivateNetwork: site.allowPrivateNetwork,
    proxy: site.proxy,
    checkUrl,
  });
}
