import type { SiteInput } from '../config/index.ts';

/**
 * The site config Spiderweb crawls the demo market with: a marketplace whose listings live under
 * `/item/`, on 127.0.0.1 (so private addresses are allowed for this site only).
 */
export function demoSiteInput(url: string): SiteInput {
  return {
    id: 'demo',
    name: 'Bundled demo market',
    kind: 'marketplace',
    seeds: [url],
    maxDepth: 3,
    maxPages: 200,
    // The demo's "more from this seller" links carry ?ref=…; the same listing must not be crawled twice.
    stripParams: ['ref'],
    allowPrivateNetwork: true,
    // Our own server on loopback: no need to be gentle.
    politeness: { maxRps: 200, maxConcurrent: 16 },
    listing: {
      urlPattern: '/item/',
      selectors: {
        title: 'article.listing .title',
        price: 'article.listing .price',
        currency: 'article.listing .currency',
        seller: 'article.listing .seller',
        description: 'article.listing .description',
      },
    },
  };
}
