import type { Generated, Selectable } from 'kysely';

/** Review app tables (migration `0004_review`). Timestamps are ISO 8601 UTC strings. */

/** An investigator who may sign in to the review app. */
export interface AnalystsTable {
  id: Generated<number>;
  /** Unique sign-in name. */
  name: string;
  /** `scrypt$N$r$p$salt$hash` (base64url), or null for an account that signs in only with one-time links. */
  password_hash: string | null;
  created_at: string;
  /** Set when the account may no longer sign in; its audit rows stay. */
  disabled_at: string | null;
}

/** A signed-in browser. The id is the SHA-256 of the cookie value, so a leaked table cannot be replayed. */
export interface SessionsTable {
  id: string;
  analyst_id: number;
  /** Per-session CSRF token, in every form and checked on every POST. */
  csrf: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

/** A per-analyst API token (`Authorization: Bearer …`), stored as its SHA-256. */
export interface ApiTokensTable {
  id: Generated<number>;
  analyst_id: number;
  token_hash: string;
  label: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A one-time sign-in link (`/login/once?token=…`), stored as its SHA-256; valid once, for 10 minutes. */
export interface LoginTokensTable {
  token_hash: string;
  analyst_id: number;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/**
 * The append-only audit log: who did what, when. The app only inserts; triggers refuse UPDATE and DELETE.
 * `action`: `view`, `confirm`, `dismiss`, `escalate`, `undo`, `claim`, `release`, `filter-save`,
 * `filter-delete`, `login`, `login-failed`, `logout`, `export`.
 */
export interface AuditTable {
  id: Generated<number>;
  at: string;
  analyst_id: number | null;
  /** The analyst's name at the time (kept even if the account goes). */
  analyst: string;
  action: string;
  lead_id: number | null;
  note: string | null;
  /** JSON with details (status before/after, export filters, how the view was made). */
  detail: string | null;
}

/** Who is working a lead (one claim per lead; releasing deletes the row; both are audited). */
export interface ClaimsTable {
  lead_id: number;
  analyst_id: number;
  analyst: string;
  claimed_at: string;
}

/** An analyst's named queue filter: `query` is the queue's query string. */
export interface SavedFiltersTable {
  id: Generated<number>;
  analyst_id: number;
  name: string;
  query: string;
  created_at: string;
}

export interface ReviewDatabase {
  analysts: AnalystsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_tokens: LoginTokensTable;
  audit: AuditTable;
  claims: ClaimsTable;
  saved_filters: SavedFiltersTable;
}

export type AnalystRow = Selectable<AnalystsTable>;
export type AuditRow = Selectable<AuditTable>;
