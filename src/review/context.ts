import type { Context } from 'hono';
import { UsageError } from '../errors.ts';
import type { Store } from '../leads/index.ts';
import type { SiteKind } from '../leads/index.ts';
import type { Logger } from '../log.ts';
import type { Analyst, Session } from './auth.ts';
import type { EvidenceAccess } from './evidence.ts';
import type { ReviewMetrics } from './metrics.ts';

export type ReviewEnv = {
  Variables: {
    analyst: Analyst;
    /** Null when the request authenticated with an API token. */
    session: Session | null;
  };
};

/** What the route modules share. */
export interface AppDeps {
  store: Store;
  metrics: ReviewMetrics;
  /** Null: no evidence directory configured (the lead page says so). */
  evidence: EvidenceAccess | null;
  queueCounts: (() => Promise<Record<string, Record<string, number>>>) | undefined;
  /** The lexicon directory in force (`/lexicons` shows its version and lint); undefined: not configured. */
  lexiconsDir: string | undefined;
  /** Kinds of the configured sites, for the what-if rescoring (others are inferred). */
  siteKinds: ReadonlyMap<string, SiteKind> | undefined;
  /** Where a what-if may read proposed lexicons (these directories and below). */
  whatIfRoots: string[];
  log: Logger;
}

/** The page context of a request: the analyst and CSRF token, when signed in. */
export function pageCtx(c: { get(key: 'session'): Session | null | undefined }, queues = false) {
  const session = c.get('session') ?? null;
  return { analyst: session?.analyst.name ?? null, csrf: session?.csrf ?? null, queues };
}

/** The `:id` route parameter as a positive integer. */
export function leadId(c: Context<ReviewEnv>): number {
  const id = Number(c.req.param('id'));
  if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`id "${c.req.param('id')}": not a number`);
  return id;
}
