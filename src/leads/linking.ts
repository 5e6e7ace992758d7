import { type Kysely, sql } from 'kysely';
import type { Identifier, IdentifierType } from '../extract/index.ts';
import type { Database, IdentifierRow } from './schema.ts';

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

/**
 * Stores each identifier once (by type and value) and links it to the page. Ignored values are not
 * stored as links. Idempotent: a re-crawl adds no duplicate identifier or edge.
 */
export async function linkPageIdentifiers(
  db: Kysely<Database>,
  pageId: number,
  identifiers: readonly Identifier[],
  at: string,
  ignore: IgnoreSet,
): Promise<void> {
  for (const i of identifiers) {
    if (ignore.has(identifierKey(i))) continue;
    const row = await db
      .insertInto('identifiers')
      .values({ type: i.type, value: i.value, validated: i.validated, first_seen: at, last_seen: at })
      .onConflict((oc) => oc.columns(['type', 'value']).doUpdateSet({ last_seen: at }))
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('page_identifiers')
      .values({
        page_id: pageId,
        identifier_id: row.id,
        deobfuscated: i.deobfuscated ? 1 : 0,
        first_seen: at,
      })
      .onConflict((oc) => oc.columns(['page_id', 'identifier_id']).doNothing())
      .execute();
  }
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

/**
 * Joins a lead to the clusters of every lead it shares an identifier with (connected components over
 * lead–identifier edges, kept incrementally): all of them take the smallest cluster id. Returns it.
 */
export async function updateCluster(db: Kysely<Database>, leadId: number): Promise<number> {
  const linked = await db
    .selectFrom('leads as l')
    .innerJoin('page_identifiers as pi', 'pi.page_id', 'l.page_id')
    .innerJoin('page_identifiers as pi2', 'pi2.identifier_id', 'pi.identifier_id')
    .innerJoin('leads as l2', 'l2.page_id', 'pi2.page_id')
    .select(['l2.id', 'l2.cluster_id'])
    .where('l.id', '=', leadId)
    .distinct()
    .execute();
  const own = await db
    .selectFrom('leads')
    .select(['cluster_id'])
    .where('id', '=', leadId)
    .executeTakeFirstOrThrow();
  const clusters = new Set<number>();
  if (own.cluster_id !== null) clusters.add(own.cluster_id);
  const ids = new Set<number>([leadId]);
  for (const r of linked) {
    ids.add(r.id);
    if (r.cluster_id !== null) clusters.add(r.cluster_id);
  }
  const target = Math.min(...ids, ...clusters);
  const q = db
    .updateTable('leads')
    .set({ cluster_id: target })
    .where((eb) =>
      clusters.size
        ? eb.or([eb('id', 'in', [...ids]), eb('cluster_id', 'in', [...clusters])])
        : eb('id', 'in', [...ids]),
    );
  await q.execute();
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
