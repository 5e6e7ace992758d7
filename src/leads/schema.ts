import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { ReviewDatabase } from './schema-review.ts';

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
  /** How robots.txt was treated for this fetch: `obey`, `ignore`, `obey:missing`, `obey:unreachable`. */
  robots: string | null;
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
  /**
   * The lead's cluster: the leads it is linked to through shared identifiers, named by one of them (the
   * lead that started it, or the smaller name of two that merged; its own id when alone).
   */
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
  /**
   * The cluster of the leads this identifier links (every lead carrying it where it is not site-wide
   * is in that one cluster); null while no such lead exists. Lets a new lead find the clusters it
   * joins from its own identifiers, however large they are.
   */
  cluster_id: ColumnType<number | null, number | null | undefined, number | null>;
}

/** How many of a site's pages carry an identifier, and whether that makes it site-wide (it then links nothing there). */
export interface SiteIdentifiersTable {
  site_id: string;
  identifier_id: number;
  pages: number;
  /** 1 while the identifier is on more than `linking.siteWideShare` of the site's pages (see `site_counts`). */
  site_wide: ColumnType<number, number | undefined, number>;
}

/** Pages of a site fetched at least once: the denominator of an identifier's share of the site. */
export interface SiteCountsTable {
  site_id: string;
  pages: number;
}

/**
 * PostgreSQL: counts written by page saves and not yet added to `site_counts`/`site_identifiers`, one
 * row per count (see `foldSiteCounts`).
 */
export interface SiteCountDeltasTable {
  site_id: string;
  /** The identifier a page of the site carries; null: the page itself, fetched for the first time. */
  identifier_id: number | null;
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
  /** `running`, `finished`, `interrupted`, `cancelled`, `lost` or `outage` (see `CrawlEndState`). */
  state: ColumnType<string, string | undefined, string>;
  /** Why a crawl did not finish normally, one line; null when it did. */
  reason: string | null;
}

/** What happened to a lead over time: `created`, `changed` (page text or score moved), `gone`, `back`. */
export interface LeadHistoryTable {
  id: Generated<number>;
  lead_id: number;
  at: string;
  event: 'created' | 'changed' | 'gone' | 'back';
  score: number | null;
  category: string | null;
  content_hash: string | null;
  lexicon_version: string | null;
}

/**
 * One distinct capture of a page (unique per page and payload), see `src/evidence/`: the WARC and text
 * are stored when the page is fetched; lead id, screenshot and manifest are added when it becomes a
 * lead. The files live in the evidence store, named by their SHA-256.
 */
export interface EvidenceTable {
  id: Generated<number>;
  page_id: number;
  /** Set when the capture is sealed for a lead. */
  lead_id: number | null;
  /** SHA-256 (hex) of the payload: the entity body after content-encoding was removed, or the rendered DOM. */
  payload_sha256: string;
  /** SHA-256 (hex) of the extracted text as UTF-8 (equals `pages.content_hash` for the same fetch). */
  text_sha256: string;
  /** `http` or `browser`. */
  fetcher: string;
  /** When the response was received. */
  captured_at: string;
  /** The last fetch that returned this same payload. */
  last_seen_at: string;
  /** JSON `CaptureFacts` (URL, final URL, redirects, status, proxy...). */
  facts: string;
  warc_sha256: string;
  screenshot_sha256: string | null;
  /** SHA-256 of the sealed manifest; null until the page becomes a lead. */
  manifest_sha256: string | null;
  sealed_at: string | null;
  /** JSON `ManifestFile[]`: the files of the capture (all of them once sealed). */
  files: ColumnType<string, string | undefined, string>;
}

export interface Database extends ReviewDatabase {
  pages: PagesTable;
  leads: LeadsTable;
  crawls: CrawlsTable;
  identifiers: IdentifiersTable;
  page_identifiers: PageIdentifiersTable;
  site_identifiers: SiteIdentifiersTable;
  site_counts: SiteCountsTable;
  site_count_deltas: SiteCountDeltasTable;
  pivots: PivotsTable;
  lead_history: LeadHistoryTable;
  evidence: EvidenceTable;
}

export type PageRow = Selectable<PagesTable>;
export type NewPage = Insertable<PagesTable>;
export type LeadRow = Selectable<LeadsTable>;
export type IdentifierRow = Selectable<IdentifiersTable>;
export type EvidenceRow = Selectable<EvidenceTable>;
