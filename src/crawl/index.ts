export { withDeadline } from './browser/util.ts';
export { SiteFetcher } from './fetch-page.ts';
export { closeHttpDispatchers, DEFAULT_USER_AGENT, fetchHttp } from './http/index.ts';
export { PolitenessGate } from './politeness/index.ts';
export {
  admitLinks,
  type FetchDeps,
  type FetchOutcome,
  type PageFetcher,
  polite,
  processFetch,
  recordFetchFailure,
} from './process-fetch.ts';
export { RobotsCache } from './robots.ts';
export { MAX_URL_LENGTH, Scope, type SkipReason, scopeOf } from './scope.ts';
export { siteSeeds } from './seeds.ts';
export { readSitemaps, sitemapRoots } from './sitemap.ts';
export type { FetchedPage } from './types.ts';
export { normaliseUrl } from './url.ts';
