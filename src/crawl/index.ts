export { fetchForSite } from './fetch-page.ts';
export { closeHttpDispatchers, fetchHttp } from './http/index.ts';
export {
  admitLinks,
  type FetchDeps,
  type FetchOutcome,
  processFetch,
  recordFetchFailure,
} from './process-fetch.ts';
export { MAX_URL_LENGTH, Scope, type SkipReason, scopeOf } from './scope.ts';
export type { FetchedPage } from './types.ts';
export { normaliseUrl } from './url.ts';
