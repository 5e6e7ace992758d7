import { type Kysely, sql } from 'kysely';
import type { Identifier, IdentifierType } from '../extract/index.ts';
import type { Database, IdentifierRow, LeadRow } from './schema.ts';

/** `type:value` keys of identifiers that must never link leads (a market's escrow address, a shared support handle). */
export type IgnoreSet = ReadonlySet<string>;

export function identifierKey(i: { type: string; value: string }): string {
  return `${i.type}:${i.value}`;
}

/** Groups a site's `search.types` may name, besides exact identifier types. */
export const IDENTIFIER_GROUPS: Record<string, IdentifierType[]> = {
  crypto: ['btc', 'eth', 'tron', 'ton', 'ltc', 'xmr'],
  messenger: ['telegram', 'session', 'wickr', 'threema', 'wechat', 'qq', 'matrix', 'tox', 'signal', 'jabber'],
  ewallet: ['qiwi', 'yoomoney', 'payeer', 'perfectmoney'],
  social: ['instagram', 'tiktok', 'twitter', 'vk'],
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

/** Each identifier's first link, in order (a page names an identifier as often as it likes). */
function distinctLinks(links: readonly IdentifierLink[]): IdentifierLink[] {
  const seen = new Set<number>();
  return links.filter((l) => !seen.has(l.identifierId) && seen.add(l.identifierId));
}

/** Rows per upsert statement (5 parameters each, well under both databases' limits). */
const UPSERT_ROWS = 500;

/**
 * A page's identifiers as they are stored: `kept`, those not ignored, in the page's order (repeats
 * included); `rows`, each distinct one once (the first time the page names it), sorted by
 * `identifierKey`: pages that share identifiers lock their rows in one order, so they never deadlock.
 */
export function identifiersToStore(
  identifiers: readonly Identifier[],
  ignore: IgnoreSet,
): { kept: Identifier[]; rows: Identifier[] } {
  // A buyer's identifier quoted in reviews or comments is kept with the page, not linked.
  const kept = identifiers.filter((i) => !i.quoted && !ignore.has(identifierKey(i)));
  const distinct = new Map<string, Identifier>();
  for (const i of kept) {
    const k = identifierKey(i);
    if (!distinct.has(k)) distinct.set(k, i);
  }
  // By key (`type:value`): every writer sorts the same way, which is all the lock order needs.
  const rows = [...distinct].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, i]) => i);
  return { kept, rows };
}

/** One link per identifier kept (repeats included), in order, from the stored rows' ids by `identifierKey`. */
export function linksOf(kept: readonly Identifier[], ids: ReadonlyMap<string, number>): IdentifierLink[] {
  return kept.map((i) => ({ identifierId: ids.get(identifierKey(i))!, deobfuscated: i.deobfuscated }));
}

/**
 * Stores each identifier once (by type and value), bumping `last_seen` when known; ignored values are
 * skipped. One statement for a page's identifiers (per 500), in `identifiersToStore`'s order; on
 * PostgreSQL, called outside a transaction, it holds their rows only for that statement. Returns one
 * link per identifier given (repeats included), in order.
 */
export async function upsertIdentifiers(
  db: Kysely<Database>,
  identifiers: readonly Identifier[],
  at: string,
  ignore: IgnoreSet,
): Promise<IdentifierLink[]> {
  const { kept, rows } = identifiersToStore(identifiers, ignore);
  const ids = new Map<string, number>();
  for (let from = 0; from < rows.length; from += UPSERT_ROWS) {
    const stored = await db
      .insertInto('identifiers')
      .values(
        rows.slice(from, from + UPSERT_ROWS).map((i) => ({
          type: i.type,
          value: i.value,
          validated: i.validated,
          first_seen: at,
          last_seen: at,
        })),
      )
      .onConflict((oc) => oc.columns(['type', 'value']).doUpdateSet({ last_seen: at }))
      .returning(['id', 'type', 'value'])
      .execute();
    for (const r of stored) ids.set(identifierKey(r), r.id);
  }
  return linksOf(kept, ids);
}

/**
 * Links a page to stored identifiers. Idempotent: a re-crawl adds no duplicate edge. Returns the
 * identifiers newly linked (what the site's per-identifier page counts add).
 */
export async function linkPage(
  db: Kysely<Database>,
  pageId: number,
  links: readonly IdentifierLink[],
  at: string,
): Promise<number[]> {
  const added: number[] = [];
  const rows = distinctLinks(links).map((l) => ({
    page_id: pageId,
    identifier_id: l.identifierId,
    deobfuscated: l.deobfuscated ? 1 : 0,
    first_seen: at,
  }));
  for (let i = 0; i < rows.length; i += 500) {
    const inserted = await db
      .insertInto('page_identifiers')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['page_id', 'identifier_id']).doNothing())
      .returning('identifier_id')
      .execute();
    added.push(...inserted.map((r) => r.identifier_id));
  }
  return added;
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
export interface IdentifierStats extends Omit<IdentifierRow, 'cluster_id'> {
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
