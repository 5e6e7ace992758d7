export type { Analyst } from './analysts.ts';
export { DECISIONS, type Decision, type SavedFilter } from './triage-rows.ts';
export type { CrawlEndState, CrawlListRow } from './crawl-rows.ts';
export {
  type ClusterView,
  expandTypes,
  IDENTIFIER_GROUPS,
  identifierKey,
} from './linking.ts';
export type { Cursor, PageRequest, QueueFilter, SortKey } from './queue-filter.ts';
export type { LexiconVersionRow, QueuePage, QueueRow } from './review-queries.ts';
export type { FreshCapture } from './evidence-rows.ts';
export type { EvidenceRow, IdentifierRow, LeadRow, LeadStatus } from './schema.ts';
export type { AuditRow } from './schema-review.ts';
export {
  applyRescore,
  countFetchedPages,
  type LeadChange,
  type LeadState,
  type RescoreDiff,
  rescore,
  type SiteKind,
  type TermRef,
} from './rescore.ts';
export {
  type CrawlCounts,
  type FailureRecord,
  type FetchedRecord,
  type LeadFilter,
  type PageToClassify,
  Store,
  type StoreOptions,
} from './store.ts';
export {
  type ClassifyDeps,
  type ClassifyOutcome,
  type FreshPage,
  listingText,
  processClassify,
} from './process-classify.ts';
export { type ReviewedLead, reviewedLeads, reviewRows, type Suggestions, suggest } from './suggest.ts';
