export {
  type CrawlEndState,
  type CrawlListRow,
  crawlStates,
  listCrawls,
  markCrawl,
  storedPageId,
} from './crawl-rows.ts';
export {
  type ClusterView,
  expandTypes,
  IDENTIFIER_GROUPS,
  identifierKey,
} from './linking.ts';
export type { IdentifierRow, LeadRow, LeadStatus, PageRow } from './schema.ts';
export {
  type CrawlCounts,
  type FailureRecord,
  type FetchedRecord,
  type LeadFilter,
  type PageToClassify,
  Store,
  type StoreOptions,
} from './store.ts';
export { type ClassifyDeps, type ClassifyOutcome, listingText, processClassify } from './process-classify.ts';
export { type ReviewedLead, reviewedLeads } from './suggest.ts';
