import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** How a crawl ended, as its row in the `crawls` table says (`running` until then). */
export type CrawlEndState = 'finished' | 'interrupted' | 'cancelled' | 'lost' | 'outage';

export interface CrawlListRow {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  sites: string[];
  state: string;
  reason: string | null;
  pages: number | null;
}

/**
 * Marks how a running crawl ended (and when, unless it already says so), with a one-line reason. A crawl
 * already marked (cancelled from another shell, or finished) keeps its mark: returns false.
 */
export async function markCrawl(
  db: Kysely<Database>,
  id: string,
  state: CrawlEndState,
  reason: string | null,
  at: string,
): Promise<boolean> {
  const r = await db
    .updateTable('crawls')
    .set((eb) => ({ state, reason, finished_at: eb.fn.coalesce('finished_at', eb.val(at)) }))
    .where('id', '=', id)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The latest crawls (or the one with `id`), newest first, with their state and pages fetched (from the summary). */
export async function listCrawls(db: Kysely<Database>, limit: number, id?: string): Promise<CrawlListRow[]> {
  let q = db.selectFrom('crawls').selectAll();
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.orderBy('started_at', 'desc').limit(limit).execute();
  return rows.map((r) => {
    const summary = r.summary ? (JSON.parse(r.summary) as { pages?: number }) : null;
    return {
      id: r.id,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      sites: JSON.parse(r.sites) as string[],
      state: r.state,
      reason: r.reason,
      pages: summary?.pages ?? null,
    };
  });
}

/**
 * The page this crawl already stored for a URL (fetched), or null. A fetch job retried after its worker
 * died asks, and skips the request when the page is there.
 */
export async function storedPageId(
  db: Kysely<Database>,
  crawlId: string,
  siteId: string,
  url: string,
): Promise<number | null> {
  const row = await db
    .selectFrom('pages')
    .select('id')
    .where('site_id', '=', siteId)
    .where('url', '=', url)
    .where('crawl_id', '=', crawlId)
    .where('state', '=', 'fetched')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** How many crawls are in each state (`running`, `finished`, `lost`...). */
export async function crawlStates(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('crawls')
    .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** A crawl's failed pages by reason (`timeout`, `robots`, ...). */
export async function failuresByReason(
  db: Kysely<Database>,
  crawlId: string,
): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('pages')
    .select(['fail_reason', (eb) => eb.fn.countAll<number>().as('n')])
    .where('crawl_id', '=', crawlId)
    .where('state', '=', 'failed')
    .groupBy('fail_reason')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.fail_reason ?? 'unknown', Number(r.n)]));
}

/** A crawl's failed pages (newest first), optionally of one reason. */
export function failedPages(
  db: Kysely<Database>,
  crawlId: string,
  reason: string | undefined,
  limit: number,
) {
  let q = db
    .selectFrom('pages')
    .select(['id', 'site_id', 'url', 'fail_reason', 'fail_message', 'last_fetched'])
    .where('crawl_id', '=', crawlId)
    .where('state', '=', 'failed');
  if (reason) q = q.where('fail_reason', '=', reason);
  return q.orderBy('last_fetched', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
