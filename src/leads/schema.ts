import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Timestamps are ISO 8601 UTC strings in both SQLite and PostgreSQL. JSON columns are text. */
export interface PagesTable {
  id: Generated<number>;
  site_id: string;
  url: string;
  final_url: string | null;
  /** HTTP status of the last fetch; null when it failed before a response. */
  status: number | null;
  /** `fetched`, `failed` (see fail_reason) or `gone` (404/410 on a recrawl). */
  state: 'fetched' | 'failed' | 'gone';
  fail_reason: string | null;
  fail_message: string | null;
  /** SHA-256 of the decoded text; a recrawl with the same hash is not re-classified. */
  content_hash: string | null;
  title: string;
  text: string;
  /** JSON `ListingFields` or null. */
  listing: string | null;
  lang: string | null;
  /** JSON `Identifier[]`. */
  identifiers: string;
  /** `http` or `browser`. */
  fetched_via: string | null;
  found_via: string;
  depth: number;
  first_seen: string;
  last_fetched: string;
  fetch_count: ColumnType<number, number | undefined, number>;
  crawl_id: string;
}

export type LeadStatus = 'new' | 'confirmed' | 'dismissed' | 'escalated';

export interface LeadsTable {
  id: Generated<number>;
  page_id: number;
  site_id: string;
  url: string;
  title: string;
  score: number;
  kind: string | null;
  category: string | null;
  /** JSON string[] of canonical substance names. */
  substances: string;
  /** JSON `Reason[]`. */
  reasons: string;
  status: ColumnType<LeadStatus, LeadStatus | undefined, LeadStatus>;
  lexicon_version: string;
  found_via: string;
  first_seen: string;
  last_seen: string;
  /** Set when the page went away (404/410); cleared if it comes back. */
  gone_at: string | null;
  crawl_id: string;
  /** The lead's cluster: the smallest lead id it is linked to through shared identifiers (its own id when alone). */
  cluster_id: number | null;
}

export interface IdentifiersTable {
  id: Generated<number>;
  type: string;
  /** Canonical value (the linking key). Unique with `type`. */
  value: string;
  validated: string;
  first_seen: string;
  last_seen: string;
}

export interface PageIdentifiersTable {
  page_id: number;
  identifier_id: number;
  /** 1 when the page wrote it obfuscated. */
  deobfuscated: number;
  first_seen: string;
}

/** One pivot search per (site, identifier), ever: re-crawls never repeat it. */
export interface PivotsTable {
  site_id: string;
  identifier_id: number;
  url: string;
  crawl_id: string;
  at: string;
}

export interface CrawlsTable {
  id: string;
  started_at: string;
  finished_at: string | null;
  /** JSON array of site ids. */
  sites: string;
  /** JSON summary printed at the end. */
  summary: string | null;
}

export interface Database {
  pages: PagesTable;
  leads: LeadsTable;
  crawls: CrawlsTable;
  identifiers: IdentifiersTable;
  page_identifiers: PageIdentifiersTable;
  pivots: PivotsTable;
}

export type PageRow = Selectable<PagesTable>;
export type NewPage = Insertable<PagesTable>;
export type LeadRow = Selectable<LeadsTable>;
export type IdentifierRow = Selectable<IdentifiersTable>;
