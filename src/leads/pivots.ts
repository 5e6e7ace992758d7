import { type Kysely, sql } from 'kysely';
import type { SiteConfig } from '../config/index.ts';
import { expandTypes } from './linking.ts';
import { isPostgres } from './open.ts';
import type { Database, IdentifierRow } from './schema.ts';

export interface PivotRequest {
  siteId: string;
  url: string;
  /** `pivot:<type>:<value>`, recorded on every page and lead the search leads to. */
  foundVia: string;
}

/**
 * The pivot searches a lead's identifiers call for: one per (site that searches that type, identifier),
 * each claimed in the store so it happens once ever and within the site's daily budget.
 */
/** What planning needs of the store (the `Store` has both; naming them here keeps pivots.ts below store.ts). */
export interface PivotStore {
  pageIdentifiers(pageId: number): Promise<IdentifierRow[]>;
  claimPivot(
    siteId: string,
    identifierId: number,
    url: string,
    crawlId: string,
    at: string,
    maxPerDay: number,
  ): Promise<boolean>;
}

export async function planPivots(
  store: PivotStore,
  pageId: number,
  sites: readonly SiteConfig[],
  crawlId: string,
  at: string,
): Promise<PivotRequest[]> {
  const searching = sites.filter((s) => s.search);
  if (!searching.length) return [];
  const identifiers = await store.pageIdentifiers(pageId);
  const out: PivotRequest[] = [];
  for (const site of searching) {
    const search = site.search!;
    const types = expandTypes(search.types);
    for (const i of identifiers) {
      if (!types.has(i.type)) continue;
      const url = search.url.replace(/\{query\}|%7Bquery%7D/g, encodeURIComponent(i.value));
      if (await store.claimPivot(site.id, i.id, url, crawlId, at, search.maxPerDay)) {
        out.push({ siteId: site.id, url, foundVia: `pivot:${i.type}:${i.value}` });
      }
    }
  }
  return out;
}

/** Advisory lock class (PostgreSQL) for a site's pivot budget; the second key is the site id's hash. */
const PIVOT_LOCK = 0x5370_7770; // "Spwp"

/**
 * Claims the one pivot search of `identifierId` on `siteId` (see `Store.claimPivot`), inside one of
 * the store's writes (`tx`). Claims for one site run one at a time (an advisory lock on PostgreSQL;
 * SQLite's write lock is held from the write's start), so concurrent workers never overrun its daily
 * budget.
 */
export async function claimPivot(
  tx: Kysely<Database>,
  siteId: string,
  identifierId: number,
  url: string,
  crawlId: string,
  at: string,
  maxPerDay: number,
): Promise<boolean> {
  if (isPostgres(tx))
    await sql`select pg_advisory_xact_lock(${sql.lit(PIVOT_LOCK)}, hashtext(${siteId}))`.execute(tx);
  const prior = await tx
    .selectFrom('pivots')
    .select(['crawl_id'])
    .where('site_id', '=', siteId)
    .where('identifier_id', '=', identifierId)
    .executeTakeFirst();
  if (prior) return prior.crawl_id === crawlId;
  const dayAgo = new Date(Date.parse(at) - 24 * 3600 * 1000).toISOString();
  const today = await tx
    .selectFrom('pivots')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('site_id', '=', siteId)
    .where('at', '>=', dayAgo)
    .executeTakeFirst();
  if (Number(today?.n ?? 0) >= maxPerDay) return false;
  const row = await tx
    .insertInto('pivots')
    .values({ site_id: siteId, identifier_id: identifierId, url, crawl_id: crawlId, at })
    .onConflict((oc) => oc.columns(['site_id', 'identifier_id']).doNothing())
    .returning('site_id')
    .executeTakeFirst();
  return row !== undefined;
}
