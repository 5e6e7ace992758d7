import { type Kysely, sql } from 'kysely';
import type { Identifier, IdentifierType } from '../extract/index.ts';
import { isPostgres } from './open.ts';
import type { Database, IdentifierRow, LeadRow } from './schema.ts';

/** `type:value` keys of identifiers that must never link leads (a market's escrow address, a shared support handle). */
export type IgnoreSet = ReadonlySet<string>;

export function identifierKey(i: Pick<Identifier, 'type' | 'value'>): string {
  return `${i.type}:${i.value}`;
}

/** Groups a site's `search.types` may name, besides exact identifier types. */
export const IDENTIFIER_GROUPS: Record<string, IdentifierType[]> = {
  crypto: ['btc', 'eth', 'tron', 'ltc', 'xmr'],
  messenger: ['telegram', 'session', 'wickr', 'threema', 'jabber'],
  ewallet: ['qiwi', 'yoomoney', 'payeer', 'perfectmoney'],
};

/** Expands groups (`crypto`) into identifier types. */
export function expandTypes(types: readonly string[]): Set<string> {
  return new Set(types.flatMap((t) => IDENTIFIER_GROUPS[t] ?? [t]));
}

/** An identifier's row id and how the page wrote it: what links a page to it. */
export interface IdentifierLink {
  identifierId: number;
  deobfuscated: boolean;
}

/**
 * Stores each identifier once (by type and value), bumping `last_seen` when known; ignored values are
 * skipped. One autocommitted statement per identifier, in the page's order, so no writer holds an
 * identifier row while it waits for another (no deadlock between pages that share identifiers).
 * Call it outside a transaction.
 */
export async function upsertIdentifiers(
  db: Kysely<Database>,
  identifiers: readonly Identifier[],
  at: string,
  ignore: IgnoreSet,
): Promise<IdentifierLink[]> {
  const out: IdentifierLink[] = [];
  for (const i of identifiers) {
    if (ignore.has(identifierKey(i))) continue;
    const row = await db
      .insertInto('identifiers')
      .values({ type: i.type, value: i.value, validated: i.validated, first_seen: at, last_seen: at })
      .onConflict((oc) => oc.columns(['type', 'value']).doUpdateSet({ last_seen: at }))
      .returning('id')
      .executeTakeFirstOrThrow();
    out.push({ identifierId: row.id, deobfuscated: i.deobfuscated });
  }
  return out;
}

/** Links a page to stored identifiers. Idempotent: a re-crawl adds no duplicate edge. */
export async function linkPage(
  db: Kysely<Database>,
  pageId: number,
  links: readonly IdentifierLink[],
  at: string,
): Promise<void> {
  const seen = new Set<number>();
  const rows = links
    .filter((l) => !seen.has(l.identifierId) && seen.add(l.identifierId))
    .map((l) => ({
      page_id: pageId,
      identifier_id: l.identifierId,
      deobfuscated: l.deobfuscated ? 1 : 0,
      first_seen: at,
    }));
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('page_identifiers')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['page_id', 'identifier_id']).doNothing())
      .execute();
  }
}

/**
 * Stores each identifier once and links it to the page (both steps above). Ignored values are not
 * stored as links. Idempotent. Outside a transaction only (see `upsertIdentifiers`).
 */
export async function linkPageIdentifiers(
  db: Kysely<Database>,
  pageId: number,
  identifiers: readonly Identifier[],
  at: string,
  ignore: IgnoreSet,
): Promise<void> {
  await linkPage(db, pageId, await upsertIdentifiers(db, identifiers, at, ignore), at);
}

/** The identifiers linked to a page. */
export function pageIdentifiers(db: Kysely<Database>, pageId: number): Promise<IdentifierRow[]> {
  return db
    .selectFrom('identifiers')
    .innerJoin('page_identifiers', 'page_identifiers.identifier_id', 'identifiers.id')
    .selectAll('identifiers')
    .where('page_identifiers.page_id', '=', pageId)
    .orderBy('identifiers.id')
    .execute();
}

/** Advisory lock key (PostgreSQL) that serialises cluster merges across processes. */
const CLUSTER_LOCK = 0x5370_7763; // "Spwc"

/**
 * Joins a lead to the clusters of every lead it shares an identifier with (connected components over
 * lead–identifier edges, kept incrementally): all of them take the smallest cluster id. Returns it.
 * One merge at a time (an advisory lock on PostgreSQL, SQLite's write lock taken up front), so two
 * merges never read each other's half-written clusters.
 */
export function updateCluster(db: Kysely<Database>, leadId: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    if (isPostgres(tx)) await sql`select pg_advisory_xact_lock(${sql.lit(CLUSTER_LOCK)})`.execute(tx);
    else
      await tx.updateTable('leads').set({ cluster_id: sql`cluster_id` }).where('id', '=', leadId).execute();
    return mergeClusters(tx, leadId);
  });
}

/**
 * Joins `leadId` with every lead it shares an identifier with: all of them end in one cluster, named
 * by its smallest lead id (every lead has a cluster, its own at least, and a cluster's id is never
 * larger than its members' ids). Reads one row per linked cluster (and per linked lead not yet in
 * one) and moves only the leads whose cluster changes: a lead joining a cluster of thousands costs
 * the same as one joining a cluster of two.
 */
async function mergeClusters(db: Kysely<Database>, leadId: number): Promise<number> {
  const linked = await db
    .selectFrom('leads as l')
    .innerJoin('page_identifiers as pi', 'pi.page_id', 'l.page_id')
    .innerJoin('page_identifiers as pi2', 'pi2.identifier_id', 'pi.identifier_id')
    .innerJoin('leads as l2', 'l2.page_id', 'pi2.page_id')
    .select([
      'l2.cluster_id',
      sql<number | null>`case when l2.cluster_id is null then l2.id end`.as('unclustered'),
    ])
    .where('l.id', '=', leadId)
    .distinct()
    .execute();
  const own = await db
    .selectFrom('leads')
    .select(['cluster_id'])
    .where('id', '=', leadId)
    .executeTakeFirstOrThrow();
  const clusters = new Set<number>();
  const unclustered = new Set<number>();
  for (const r of [
    ...linked,
    { cluster_id: own.cluster_id, unclustered: own.cluster_id === null ? leadId : null },
  ]) {
    if (r.cluster_id !== null) clusters.add(r.cluster_id);
    if (r.unclustered !== null) unclustered.add(r.unclustered);
  }
  const target = Math.min(...clusters, ...unclustered);
  const moving = [...clusters].filter((c) => c !== target);
  if (!moving.length && !unclustered.size) return target;
  await db
    .updateTable('leads')
    .set({ cluster_id: target })
    .where((eb) =>
      eb.or([
        ...(moving.length ? [eb('cluster_id', 'in', moving)] : []),
        ...(unclustered.size ? [eb('id', 'in', [...unclustered])] : []),
      ]),
    )
    .execute();
  return target;
}

export interface ClusterView {
  clusterId: number;
  leads: Array<{
    id: number;
    siteId: string;
    url: string;
    title: string;
    score: number;
    category: string | null;
    foundVia: string;
    firstSeen: string;
    lastSeen: string;
  }>;
  sites: string[];
  identifiers: Array<{ type: string; value: string; validated: string; leads: number }>;
  firstSeen: string;
  lastSeen: string;
}

/** A cluster with its leads, sites, shared identifiers and first/last seen; null when it has no leads. */
export async function clusterView(db: Kysely<Database>, clusterId: number): Promise<ClusterView | null> {
  const leads = await db
    .selectFrom('leads')
    .select(['id', 'site_id', 'url', 'title', 'score', 'category', 'found_via', 'first_seen', 'last_seen'])
    .where('cluster_id', '=', clusterId)
    .orderBy('id')
    .execute();
  if (!leads.length) return null;
  const identifiers = await db
    .selectFrom('identifiers')
    .innerJoin('page_identifiers', 'page_identifiers.identifier_id', 'identifiers.id')
    .innerJoin('leads', 'leads.page_id', 'page_identifiers.page_id')
    .select([
      'identifiers.type',
      'identifiers.value',
      'identifiers.validated',
      sql<number>`count(distinct leads.id)`.as('leads'),
    ])
    .where('leads.cluster_id', '=', clusterId)
    .groupBy(['identifiers.id', 'identifiers.type', 'identifiers.value', 'identifiers.validated'])
    .orderBy('leads', 'desc')
    .orderBy('identifiers.type')
    .execute();
  return {
    clusterId,
    leads: leads.map((l) => ({
      id: l.id,
      siteId: l.site_id,
      url: l.url,
      title: l.title,
      score: l.score,
      category: l.category,
      foundVia: l.found_via,
      firstSeen: l.first_seen,
      lastSeen: l.last_seen,
    })),
    sites: [...new Set(leads.map((l) => l.site_id))].sort(),
    identifiers: identifiers.map((i) => ({ ...i, leads: Number(i.leads) })),
    firstSeen: leads.map((l) => l.first_seen).sort()[0]!,
    lastSeen: leads
      .map((l) => l.last_seen)
      .sort()
      .at(-1)!,
  };
}

/** An identifier with how many leads, pages and clusters carry it. */
export interface IdentifierStats extends IdentifierRow {
  leads: number;
  pages: number;
  clusters: number;
}

/** Identifiers with the number of leads carrying each, most linked first. */
export async function identifierStats(
  db: Kysely<Database>,
  filter: { type?: string[]; minLeads?: number; limit?: number } = {},
): Promise<IdentifierStats[]> {
  let q = db
    .selectFrom('identifiers')
    .leftJoin('page_identifiers', 'page_identifiers.identifier_id', 'identifiers.id')
    .leftJoin('leads', 'leads.page_id', 'page_identifiers.page_id')
    .select([
      'identifiers.id',
      'identifiers.type',
      'identifiers.value',
      'identifiers.validated',
      'identifiers.first_seen',
      'identifiers.last_seen',
      sql<number>`count(distinct leads.id)`.as('leads'),
      sql<number>`count(distinct page_identifiers.page_id)`.as('pages'),
      sql<number>`count(distinct leads.cluster_id)`.as('clusters'),
    ])
    .groupBy([
      'identifiers.id',
      'identifiers.type',
      'identifiers.value',
      'identifiers.validated',
      'identifiers.first_seen',
      'identifiers.last_seen',
    ]);
  if (filter.type?.length) q = q.where('identifiers.type', 'in', filter.type);
  if (filter.minLeads) q = q.having(sql`count(distinct leads.id)`, '>=', filter.minLeads);
  // By the aggregate itself, not its alias: on PostgreSQL `leads` is also a table in scope.
  q = q.orderBy(sql`count(distinct leads.id)`, 'desc').orderBy('identifiers.id');
  if (filter.limit) q = q.limit(filter.limit);
  return (await q.execute()).map((r) => ({
    ...r,
    leads: Number(r.leads),
    pages: Number(r.pages),
    clusters: Number(r.clusters),
  }));
}

/** The identifier with this value (any type, or the given one). */
export function findIdentifier(
  db: Kysely<Database>,
  value: string,
  type?: string,
): Promise<IdentifierRow | undefined> {
  let q = db.selectFrom('identifiers').selectAll().where('value', '=', value);
  if (type) q = q.where('type', '=', type);
  return q.orderBy('id').executeTakeFirst();
}

/** Leads carrying an identifier. */
export function leadsWithIdentifier(db: Kysely<Database>, identifierId: number): Promise<LeadRow[]> {
  return db
    .selectFrom('leads')
    .innerJoin('page_identifiers', 'page_identifiers.page_id', 'leads.page_id')
    .selectAll('leads')
    .where('page_identifiers.identifier_id', '=', identifierId)
    .orderBy('leads.id')
    .execute();
}

/** `type:value` identifiers of many pages at once, by page id (for exports and the queue). */
export async function identifiersByPage(
  db: Kysely<Database>,
  pageIds: readonly number[],
): Promise<Map<number, string[]>> {
  const map = new Map<number, string[]>();
  for (let i = 0; i < pageIds.length; i += 500) {
    const rows = await db
      .selectFrom('page_identifiers')
      .innerJoin('identifiers', 'identifiers.id', 'page_identifiers.identifier_id')
      .select(['page_identifiers.page_id', 'identifiers.type', 'identifiers.value'])
      .where('page_identifiers.page_id', 'in', pageIds.slice(i, i + 500))
      .orderBy('identifiers.id')
      .execute();
    for (const r of rows) {
      const list = map.get(r.page_id) ?? [];
      list.push(`${r.type}:${r.value}`);
      map.set(r.page_id, list);
    }
  }
  return map;
}
