import type { SiteConfig } from '../config/index.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SiteFetcher } from './fetch-page.ts';
import { DEFAULT_ACCEPT_TYPES } from './http/index.ts';
import type { RobotsCache } from './robots.ts';
import { readSitemaps, sitemapRoots } from './sitemap.ts';

const SITEMAP_TYPES = [
  ...DEFAULT_ACCEPT_TYPES,
  'application/gzip',
  'application/x-gzip',
  'application/octet-stream',
];

/**
 * A site's seed URLs: its configured seeds, plus the pages its sitemaps list when `sitemaps` is set
 * (the sitemaps robots.txt names, or `/sitemap.xml`, or the configured list). Sitemap failures are
 * logged and cost only the sitemap's URLs, never the crawl.
 */
export async function siteSeeds(
  site: SiteConfig,
  fetcher: SiteFetcher,
  robots: RobotsCache,
  log: Logger,
): Promise<string[]> {
  if (site.sitemaps === false) return site.seeds;
  const http = (url: string) =>
    fetcher.http(url, site, () => {}, { acceptTypes: SITEMAP_TYPES, sniffBinary: false });
  const roots: string[] = [];
  if (site.sitemaps === true) {
    for (const origin of new Set(site.seeds.map((s) => new URL(s).origin))) {
      let listed: string[] = [];
      try {
        const file = await robots.get(`${origin}/`, async (u) => {
          const r = await http(u);
          return { status: r.status, text: r.text };
        });
        listed = file.sitemaps;
      } catch (err) {
        log.warn(
          { site: site.id, origin, err: errorMessage(err) },
          'robots.txt unreadable; trying /sitemap.xml',
        );
      }
      roots.push(...sitemapRoots(origin, listed));
    }
  } else {
    roots.push(...site.sitemaps);
  }
  const result = await readSitemaps(
    roots,
    async (u) => {
      const r = await http(u);
      return { status: r.status, body: r.body };
    },
    { maxUrls: site.maxPages },
  );
  for (const e of result.errors)
    log.warn({ site: site.id, sitemap: e.url, err: e.message }, 'sitemap unreadable');
  log.info(
    { site: site.id, sitemaps: result.sitemaps.length, urls: result.urls.length, limited: result.limited },
    'sitemap seeds',
  );
  return [...site.seeds, ...result.urls];
}
