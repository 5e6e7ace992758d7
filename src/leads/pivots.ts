import type { SiteConfig } from '../config/index.ts';
import { expandTypes } from './linking.ts';
import type { Store } from './store.ts';

export interface PivotRequest {
  siteId: string;
  url: string;
  /** `pivot:<type>:<value>`, recorded on every page and lead the search leads to. */
  foundVia: string;
}

/**
 * The pivot searches a lead's identifiers call for: one per (site that searches that type, identifier),
 * each claimed in the store so it happens once ever and within the site's daily budget.
 */
export async function planPivots(
  store: Store,
  pageId: number,
  sites: readonly SiteConfig[],
  crawlId: string,
  at: string,
): Promise<PivotRequest[]> {
  const searching = sites.filter((s) => s.search);
  if (!searching.length) return [];
  const identifiers = await store.pageIdentifiers(pageId);
  const out: PivotRequest[] = [];
  for (const site of searching) {
    const search = site.search!;
    const types = expandTypes(search.types);
    for (const i of identifiers) {
      if (!types.has(i.type)) continue;
      const url = search.url.replace(/\{query\}|%7Bquery%7D/g, encodeURIComponent(i.value));
      if (await store.claimPivot(site.id, i.id, url, crawlId, at, search.maxPerDay)) {
        out.push({ siteId: site.id, url, foundVia: `pivot:${i.type}:${i.value}` });
      }
    }
  }
  return out;
}
