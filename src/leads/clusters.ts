import { type Kysely, sql } from 'kysely';
import type { Write } from './group-commit.ts';
import { isPostgres } from './open.ts';
import type { Database } from './schema.ts';

/**
 * When an identifier is site-wide on a site: on more than `share` of the site's fetched pages, once
 * the site has at least `minPages` (so a small site's few pages still link). A site-wide identifier
 * (a market's support e-mail in every footer, its escrow wallet) is stored and shown but links no lead
 * of that site: clusters are sellers, not sites.
 */
export interface SiteWidePolicy {
  share: number;
  minPages: number;
}

export const DEFAULT_SITE_WIDE: SiteWidePolicy = { share: 0.2, minPages: 20 };

/** The most pages of a site with `sitePages` pages an identifier may be on and still link (integer arithmetic in SQL). */
function linkingMax(sitePages: number, p: SiteWidePolicy): number {
  return Math.floor(p.share * sitePages + 1e-9);
}

export function isSiteWide(pages: number, sitePages: number, p: SiteWidePolicy): boolean {
  return sitePages >= p.minPages && pages > linkingMax(sitePages, p);
}

// PostgreSQL advisory lock spaces (two-key form): one lock per identifier, one per cluster.
const IDENTIFIER_LOCK = 0x5370_7769; // "Spwi"
const CLUSTER_LOCK = 0x5370_7763; // "Spwc"

/**
 * Takes the transaction's advisory locks `(spaces[k], ids[k])` in the order given (`shared`: all in the
 * shared form, which only an exclusive holder waits for, or none; or each lock's own), in one
 * statement: the function scan yields the arrays in order, so the locks are taken in that order, one
 * round trip for all. Only on PostgreSQL: a SQLite transaction holds the database's one write lock already.
 */
async function takeLocks(db: Kysely<Database>, spaces: number[], ids: number[], shared: boolean | boolean[]) {
  if (!ids.length || !isPostgres(db)) return;
  if (Array.isArray(shared)) {
    await sql`select case when s then pg_advisory_xact_lock_shared(k, id) else pg_advisory_xact_lock(k, id) end
      from unnest(${spaces}::integer[], ${ids}::integer[], ${shared}::boolean[]) as t(k, id, s)`.execute(db);
    return;
  }
  const take = sql.raw(shared ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock');
  await sql`select ${take}(k, id) from unnest(${spaces}::integer[], ${ids}::integer[]) as t(k, id)`.execute(
    db,
  );
}

/** Takes the exclusive locks on `ids` in `space` not yet `held`, smallest first (see `takeLocks`). */
async function lock(db: Kysely<Database>, space: number, ids: Iterable<number>, held: Set<number>) {
  const todo = [...new Set(ids)].filter((i) => !held.has(i)).sort((a, b) => a - b);
  await takeLocks(
    db,
    todo.map(() => space),
    todo,
    false,
  );
  for (const id of todo) held.add(id);
}

/** PostgreSQL's deadlock and serialisation failures: the transaction did nothing and may run again. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * Runs `fn` (one transaction) again when PostgreSQL aborted it as a deadlock victim. Locks are taken
 * in one order (identifiers, then clusters, each ascending), so that happens only when a cluster
 * merged away under a waiting writer and it had to lock the new one out of order.
 */
export async function retryConflicts<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isRetryableConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 20));
    }
  }
}

/** A page's identifiers: those it links by on its site (not site-wide there), with their clusters, and the site-wide ones. */
interface PageLinks {
  linking: number[];
  siteWide: number[];
  /** The cluster of each linking identifier (in `linking`'s order; null: none yet). */
  clusters: Array<number | null>;
}

/** One of a page's links as `pageLinksJson` reads them: identifier, its site-wide mark (null: none), its cluster. */
export type PageLinkRow = [number, number | null, number | null];

/** A lead being written, as `clusterLead` needs it. */
interface LeadToCluster {
  id: number;
  page_id: number;
  site_id: string;
  /** Known to be in no cluster (inserted in this transaction): its cluster is not read. */
  fresh?: boolean;
  /** Its page's links, read in this transaction by the statement that inserted it (`pageLinksJson`). */
  links?: PageLinkRow[];
}

/** A page's identifiers, one row each, with their site-wide mark on the page's site (null: none) and their cluster. */
function pageLinksQuery(db: Kysely<Database>, pageId: number, siteId: string) {
  return db
    .selectFrom('page_identifiers as pi')
    .innerJoin('identifiers as i', 'i.id', 'pi.identifier_id')
    .leftJoin('site_identifiers as si', (j) =>
      j.onRef('si.identifier_id', '=', 'pi.identifier_id').on('si.site_id', '=', siteId),
    )
    .select(['pi.identifier_id', 'si.site_wide', 'i.cluster_id'])
    .where('pi.page_id', '=', pageId);
}

/** A page's links as one JSON value of `PageLinkRow`s: for a statement that reads them beside its own work. */
export function pageLinksJson(db: Kysely<Database>, pageId: number, siteId: string) {
  return sql<PageLinkRow[]>`(select coalesce(json_agg(json_build_array(q.identifier_id, q.site_wide,
    q.cluster_id)), '[]'::json) from (${pageLinksQuery(db, pageId, siteId)}) as q)`;
}

function toPageLinks(rows: readonly PageLinkRow[]): PageLinks {
  const links: PageLinks = { linking: [], siteWide: [], clusters: [] };
  for (const [id, siteWide, cluster] of rows) {
    if (siteWide) links.siteWide.push(id);
    else {
      links.linking.push(id);
      links.clusters.push(cluster);
    }
  }
  return links;
}

/** The identifiers of a page, each with whether it links on the page's site, in one statement. */
async function pageLinks(db: Kysely<Database>, pageId: number, siteId: string): Promise<PageLinks> {
  const rows = await pageLinksQuery(db, pageId, siteId).execute();
  return toPageLinks(rows.map((r) => [r.identifier_id, r.site_wide, r.cluster_id]));
}

function chunks<T>(xs: readonly T[], n = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * The clusters of these leads and identifiers. A lead without one (being saved for the first time)
 * counts as its own, and is added to `fresh`.
 */
async function clustersOf(
  db: Kysely<Database>,
  leadIds: readonly number[],
  identifierIds: readonly number[],
  fresh: Set<number>,
): Promise<Set<number>> {
  const out = new Set<number>();
  fresh.clear();
  for (const part of chunks(leadIds)) {
    const rows = await db.selectFrom('leads').select(['id', 'cluster_id']).where('id', 'in', part).execute();
    for (const r of rows) {
      out.add(r.cluster_id ?? r.id);
      if (r.cluster_id === null) fresh.add(r.id);
    }
  }
  for (const part of chunks(identifierIds)) {
    const rows = await db
      .selectFrom('identifiers')
      .select('cluster_id')
      .where('id', 'in', part)
      .where('cluster_id', 'is not', null)
      .execute();
    for (const r of rows) if (r.cluster_id !== null) out.add(r.cluster_id);
  }
  return out;
}

/**
 * Locks the clusters of these leads and identifiers and returns them. A cluster may merge into
 * another while we wait for it: read again after locking, until every cluster read is held. Callers
 * hold the identifiers' locks, so only a holder of their cluster can move them.
 */
async function lockClusters(
  db: Kysely<Database>,
  leadIds: readonly number[],
  identifierIds: readonly number[],
  held: Set<number>,
  fresh = new Set<number>(),
): Promise<Set<number>> {
  for (;;) {
    const clusters = await clustersOf(db, leadIds, identifierIds, fresh);
    const missing = [...clusters].filter((c) => !held.has(c));
    if (!missing.length) return clusters;
    await lock(db, CLUSTER_LOCK, missing, held);
    if (!isPostgres(db)) return clusters;
  }
}

/**
 * Puts these leads and the leads these identifiers link into one cluster. It keeps the smallest name
 * among the clusters that exist (the oldest); a new lead names a cluster only when it joins none, so a
 * listing saved late (its id smaller than its seller's cluster) never renames the seller's cluster,
 * which would rewrite every lead in it. Reads one row per lead and identifier given; writes only the
 * leads and identifiers whose cluster changes. Returns the cluster (null when there is nothing to
 * cluster). Callers hold the identifiers' locks.
 */
async function mergeAll(
  db: Kysely<Database>,
  leadIds: readonly number[],
  identifierIds: readonly number[],
): Promise<number | null> {
  const fresh = new Set<number>();
  const clusters = await lockClusters(db, leadIds, identifierIds, new Set(), fresh);
  if (!clusters.size) return null;
  const named = [...clusters].filter((c) => !fresh.has(c));
  const target = Math.min(...(named.length ? named : clusters));
  const moving = [...clusters].filter((c) => c !== target);
  if (moving.length) {
    await db.updateTable('leads').set({ cluster_id: target }).where('cluster_id', 'in', moving).execute();
    await db
      .updateTable('identifiers')
      .set({ cluster_id: target })
      .where('cluster_id', 'in', moving)
      .execute();
  }
  for (const [table, ids] of [
    ['leads', leadIds],
    ['identifiers', identifierIds],
  ] as const) {
    for (const part of chunks(ids)) {
      await db
        .updateTable(table)
        .set({ cluster_id: target })
        .where('id', 'in', part)
        .where((eb) => eb.or([eb('cluster_id', 'is', null), eb('cluster_id', '!=', target)]))
        .execute();
    }
  }
  return target;
}

/**
 * Joins a lead to the clusters of the identifiers it links by (those not site-wide on its site): its
 * cost follows the lead's own identifiers, not the size of the clusters it meets (beyond the leads
 * that change cluster). Run it inside the transaction that writes the lead.
 *
 * On PostgreSQL it locks the lead's identifiers, ascending: those it links by exclusively (it may
 * write their cluster), the site-wide ones shared (so saves on one site do not queue on its footer
 * contact; a change of the mark takes it exclusively, so it waits for this save, or this save reads
 * the new mark); then the clusters involved. Marks are read again under the locks.
 */
export async function clusterLead(db: Kysely<Database>, lead: LeadToCluster): Promise<number> {
  const exclusive = new Set<number>();
  const shared = new Set<number>();
  let links = lead.links ? toPageLinks(lead.links) : await pageLinks(db, lead.page_id, lead.site_id);
  if (isPostgres(db)) {
    const joined = await joinCluster(db, lead, links);
    if (joined !== null) return joined;
    for (;;) {
      const toX = links.linking.filter((i) => !exclusive.has(i));
      const toS = links.siteWide.filter((i) => !exclusive.has(i) && !shared.has(i));
      if (!toX.length && !toS.length) break;
      // Ascending, each in its mode, in one statement.
      const ids = [...toX, ...toS].sort((a, b) => a - b);
      await takeLocks(
        db,
        ids.map(() => IDENTIFIER_LOCK),
        ids,
        ids.map((i) => !toX.includes(i)),
      );
      for (const i of toX) exclusive.add(i);
      for (const i of toS) shared.add(i);
      links = await pageLinks(db, lead.page_id, lead.site_id);
    }
    // A seller's listings saved side by side all find the seller's identifiers in no cluster and queue
    // here; each after the first finds the first one's cluster now, and joins it as a next listing does.
    const waited = await joinCluster(db, lead, links);
    if (waited !== null) return waited;
    // A seller's first listing: under their locks, none of the identifiers it links by is in a cluster,
    // so nothing else can be; the lead names a cluster of its own with them, in one statement.
    if (lead.fresh && links.clusters.every((c) => c === null)) {
      await sql`with i as (
          update identifiers set cluster_id = ${lead.id}
          where id = any(${links.linking}::integer[]) and cluster_id is null
        )
        update leads set cluster_id = ${lead.id} where id = ${lead.id}`.execute(db);
      return lead.id;
    }
  } else if (lead.fresh) {
    // SQLite: this transaction holds the write lock, so the links read are current. A new lead whose
    // identifiers are all in one cluster joins it, and one whose identifiers are in none names a cluster
    // of its own with them: its row and theirs are all that change, as `mergeAll` would find after
    // reading them again (five statements more per lead, most of a seller's listings).
    const target = links.clusters[0] ?? null;
    if (links.clusters.every((c) => c === target)) {
      const cluster = target ?? lead.id;
      if (target === null)
        for (const part of chunks(links.linking))
          await db.updateTable('identifiers').set({ cluster_id: cluster }).where('id', 'in', part).execute();
      await db.updateTable('leads').set({ cluster_id: cluster }).where('id', '=', lead.id).execute();
      return cluster;
    }
  }
  return (await mergeAll(db, [lead.id], links.linking)) ?? lead.id;
}

/**
 * The cluster a lead joins without merging anything: the one cluster all of its linking identifiers
 * are in, when the lead is in it already or in none (`fresh`: known to be in none). Null otherwise.
 */
async function soleCluster(
  db: Kysely<Database>,
  lead: Pick<LeadToCluster, 'id' | 'fresh'>,
  links: PageLinks,
): Promise<number | null> {
  const target = links.clusters[0] ?? null;
  if (target === null || links.clusters.some((c) => c !== target)) return null;
  if (lead.fresh) return target;
  const own = await db.selectFrom('leads').select('cluster_id').where('id', '=', lead.id).executeTakeFirst();
  if (!own) return null;
  return own.cluster_id === target || own.cluster_id === null ? target : null;
}

/**
 * PostgreSQL, a seller's next listing: every identifier it links by is in one cluster already (see
 * `soleCluster`). Only the lead's row changes, so shared locks suffice: on its identifiers (a change
 * of their site-wide mark takes them exclusively) and on the cluster (a merge or split takes it
 * exclusively). Saves of one seller's listings, which a crawl meets side by side, then run at once
 * instead of queueing on the seller's handle and wallet. Returns null, having changed nothing, when
 * the case does not hold under the locks; the general path then takes its exclusive locks after
 * these shared ones, out of the usual order, and a deadlock that may cause is retried like any other
 * (`retryConflicts`).
 */
async function joinCluster(
  db: Kysely<Database>,
  lead: LeadToCluster,
  links: PageLinks,
): Promise<number | null> {
  const target = await soleCluster(db, lead, links);
  if (target === null) return null;
  // The identifiers' shared locks, ascending, then the cluster's, in one statement.
  const ids = [...new Set([...links.linking, ...links.siteWide])].sort((a, b) => a - b);
  await takeLocks(db, [...ids.map(() => IDENTIFIER_LOCK), CLUSTER_LOCK], [...ids, target], true);
  // Then, in one statement (its snapshot taken under the locks): the page's links are still those read,
  // each linking one in `target`; the lead is in it or in none; and it joins it. A linking identifier in
  // no cluster now (a site-wide mark split its cluster since) fails the check: `is not distinct from`,
  // as `=` would give null there, which `bool_and` skips.
  const own = lead.fresh
    ? sql`true`
    : sql`coalesce((select cluster_id from leads where id = ${lead.id}), ${target}) = ${target}`;
  const { rows } = await sql<{ ok: boolean }>`
    with now as (${pageLinksQuery(db, lead.page_id, lead.site_id)}),
    ok as (
      select count(*) = ${ids.length} and ${own} and coalesce(bool_and(case
        when coalesce(site_wide, 0) <> 0 then identifier_id = any(${links.siteWide}::integer[])
        else identifier_id = any(${links.linking}::integer[])
          and cluster_id is not distinct from ${target} end), true) as ok
      from now
    ), u as (
      update leads set cluster_id = ${target}
      where id = ${lead.id} and cluster_id is null and (select ok from ok)
    )
    select ok from ok`.execute(db);
  return rows[0]?.ok ? target : null;
}

/**
 * Splits cluster `clusterId` into the connected components its leads still form through linking
 * identifiers (after one of them became site-wide), each named by its smallest lead id. Costs the
 * cluster's size once. The caller holds the cluster's lock.
 *
 * Only the cluster's own identifiers move with its leads. A lead may link by an identifier of another
 * cluster, or of none, for a moment: a recrawl links its page to a new identifier before its save joins
 * the lead to that identifier's cluster. Taking such an identifier into a part would leave its own
 * cluster's leads behind, and that save would then find the lead and the identifier in one cluster
 * already and merge nothing.
 */
async function recomputeCluster(db: Kysely<Database>, clusterId: number): Promise<void> {
  const members = await db.selectFrom('leads').select('id').where('cluster_id', '=', clusterId).execute();
  const own = new Set(
    (await db.selectFrom('identifiers').select('id').where('cluster_id', '=', clusterId).execute()).map(
      (r) => r.id,
    ),
  );
  const edges = await db
    .selectFrom('leads as l')
    .innerJoin('page_identifiers as pi', 'pi.page_id', 'l.page_id')
    .leftJoin('site_identifiers as si', (j) =>
      j.onRef('si.site_id', '=', 'l.site_id').onRef('si.identifier_id', '=', 'pi.identifier_id'),
    )
    .select(['l.id as lead_id', 'pi.identifier_id'])
    .where('l.cluster_id', '=', clusterId)
    .where((eb) => eb.or([eb('si.site_wide', 'is', null), eb('si.site_wide', '=', 0)]))
    .execute();
  const parent = new Map<number, number>(members.map((m) => [m.id, m.id]));
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    while (parent.get(x) !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  // Roots are kept as the smaller id, so a component's root is its smallest lead: its cluster id.
  const union = (a: number, b: number) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  };
  const byIdentifier = new Map<number, number>();
  for (const e of edges) {
    const first = byIdentifier.get(e.identifier_id);
    if (first === undefined) byIdentifier.set(e.identifier_id, e.lead_id);
    else union(first, e.lead_id);
  }
  const leadsBy = new Map<number, number[]>();
  for (const m of members) {
    const c = find(m.id);
    if (c !== clusterId) leadsBy.set(c, [...(leadsBy.get(c) ?? []), m.id]);
  }
  for (const [c, ids] of leadsBy)
    for (const part of chunks(ids))
      await db.updateTable('leads').set({ cluster_id: c }).where('id', 'in', part).execute();
  await db.updateTable('identifiers').set({ cluster_id: null }).where('cluster_id', '=', clusterId).execute();
  const identifiersBy = new Map<number, number[]>();
  for (const [i, leadId] of byIdentifier) {
    if (!own.has(i)) continue;
    const c = find(leadId);
    identifiersBy.set(c, [...(identifiersBy.get(c) ?? []), i]);
  }
  for (const [c, ids] of identifiersBy)
    for (const part of chunks(ids))
      await db.updateTable('identifiers').set({ cluster_id: c }).where('id', 'in', part).execute();
}

/**
 * Makes identifier `identifierId` site-wide on `siteId` (it stops linking that site's leads: its
 * cluster is split into what the other links still join) or linking again (the site's leads carrying
 * it join one cluster). Costs the affected cluster's size, once per crossing of the threshold.
 */
export async function setSiteWide(
  db: Kysely<Database>,
  siteId: string,
  identifierId: number,
  siteWide: boolean,
): Promise<void> {
  await lock(db, IDENTIFIER_LOCK, [identifierId], new Set());
  await db
    .updateTable('site_identifiers')
    .set({ site_wide: siteWide ? 1 : 0 })
    .where('site_id', '=', siteId)
    .where('identifier_id', '=', identifierId)
    .execute();
  if (siteWide) {
    const [cluster] = await lockClusters(db, [], [identifierId], new Set());
    if (cluster !== undefined) await recomputeCluster(db, cluster);
    return;
  }
  const leads = await db
    .selectFrom('leads')
    .innerJoin('page_identifiers as pi', 'pi.page_id', 'leads.page_id')
    .select('leads.id')
    .where('pi.identifier_id', '=', identifierId)
    .where('leads.site_id', '=', siteId)
    .execute();
  if (leads.length)
    await mergeAll(
      db,
      leads.map((l) => l.id),
      [identifierId],
    );
}

/**
 * Adds pages to a site's counts: `identifiers` maps each identifier to how many more of the site's
 * pages carry it, `newPages` is how many more pages the site has (pages fetched for the first time);
 * then applies the crossings of the site-wide threshold this causes. An identifier's share rises only
 * with its own pages, so it is checked when it is counted; every identifier of a site is checked once,
 * when the site reaches `minPages`; and the few site-wide ones are checked whenever the site grows
 * (shares fall as it does). SQLite: inside the page's write. PostgreSQL: in `foldSiteCounts`, with the
 * counter rows locked in one order (identifiers ascending, then the site).
 */
export async function countSiteLinks(
  db: Kysely<Database>,
  siteId: string,
  identifiers: ReadonlyMap<number, number>,
  newPages: number,
  policy: SiteWidePolicy,
): Promise<void> {
  const counted: Array<{ identifier_id: number; pages: number; site_wide: number }> = [];
  for (const part of chunks([...identifiers.keys()].sort((a, b) => a - b))) {
    counted.push(
      ...(await db
        .insertInto('site_identifiers')
        .values(part.map((i) => ({ site_id: siteId, identifier_id: i, pages: identifiers.get(i)! })))
        .onConflict((oc) =>
          oc
            .columns(['site_id', 'identifier_id'])
            .doUpdateSet({ pages: sql`site_identifiers.pages + excluded.pages` }),
        )
        .returning(['identifier_id', 'pages', 'site_wide'])
        .execute()),
    );
  }
  const site = newPages
    ? await db
        .insertInto('site_counts')
        .values({ site_id: siteId, pages: newPages })
        .onConflict((oc) =>
          oc.column('site_id').doUpdateSet({ pages: sql`site_counts.pages + excluded.pages` }),
        )
        .returning('pages')
        .executeTakeFirstOrThrow()
    : await db.selectFrom('site_counts').select('pages').where('site_id', '=', siteId).executeTakeFirst();
  const sitePages = site?.pages ?? 0;
  if (sitePages < policy.minPages) return;
  const max = linkingMax(sitePages, policy);
  const toSiteWide = new Set(
    counted.filter((r) => !r.site_wide && isSiteWide(r.pages, sitePages, policy)).map((r) => r.identifier_id),
  );
  let toLinking: number[] = [];
  if (newPages) {
    if (sitePages - newPages < policy.minPages) {
      const rows = await db
        .selectFrom('site_identifiers')
        .select('identifier_id')
        .where('site_id', '=', siteId)
        .where('site_wide', '=', 0)
        .where('pages', '>', max)
        .execute();
      for (const r of rows) toSiteWide.add(r.identifier_id);
    }
    toLinking = (
      await db
        .selectFrom('site_identifiers')
        .select('identifier_id')
        .where('site_id', '=', siteId)
        .where('site_wide', '=', 1)
        .where('pages', '<=', max)
        .execute()
    ).map((r) => r.identifier_id);
  }
  for (const i of [...toSiteWide].sort((a, b) => a - b)) await setSiteWide(db, siteId, i, true);
  for (const i of toLinking.sort((a, b) => a - b)) await setSiteWide(db, siteId, i, false);
}

/**
 * PostgreSQL, inside a page's transaction: leaves the page's counts (its new identifier edges, and the
 * page itself when `newPage`) for `foldSiteCounts`, as rows of their own that no other save touches.
 */
export async function queueSiteLinks(
  db: Kysely<Database>,
  siteId: string,
  newIdentifiers: readonly number[],
  newPage: boolean,
): Promise<void> {
  const rows = [...new Set(newIdentifiers)].map((i) => ({
    site_id: siteId,
    identifier_id: i as number | null,
  }));
  if (newPage) rows.push({ site_id: siteId, identifier_id: null });
  for (const part of chunks(rows)) await db.insertInto('site_count_deltas').values(part).execute();
}

// PostgreSQL advisory lock (two-key form) held by the one session adding up the queued counts.
const FOLD_LOCK = 0x5370_7766; // "Spwf"

/**
 * PostgreSQL: adds the counts that page saves queued (`queueSiteLinks`) to `site_counts` and
 * `site_identifiers`, and applies the site-wide crossings, in one transaction: the queued rows it takes
 * are deleted in it, so a count is added exactly once even if a process dies mid-way. One session folds
 * at a time; with `wait` false, returns null at once when another is folding. Returns the rows folded.
 */
export async function foldSiteCounts(
  db: Kysely<Database>,
  policy: SiteWidePolicy,
  wait: boolean,
): Promise<number | null> {
  return retryConflicts(() =>
    db.transaction().execute(async (tx) => {
      if (wait) await sql`select pg_advisory_xact_lock(${FOLD_LOCK}::integer, 0)`.execute(tx);
      else {
        const got = await sql<{
          ok: boolean;
        }>`select pg_try_advisory_xact_lock(${FOLD_LOCK}::integer, 0) as ok`.execute(tx);
        if (!got.rows[0]?.ok) return null;
      }
      const rows = await tx.deleteFrom('site_count_deltas').returning(['site_id', 'identifier_id']).execute();
      const sites = new Map<string, { identifiers: Map<number, number>; pages: number }>();
      for (const r of rows) {
        const site = sites.get(r.site_id) ?? { identifiers: new Map<number, number>(), pages: 0 };
        sites.set(r.site_id, site);
        if (r.identifier_id === null) site.pages++;
        else site.identifiers.set(r.identifier_id, (site.identifiers.get(r.identifier_id) ?? 0) + 1);
      }
      for (const id of [...sites.keys()].sort()) {
        const site = sites.get(id)!;
        await countSiteLinks(tx, id, site.identifiers, site.pages, policy);
      }
      return rows.length;
    }),
  );
}

/**
 * Brings every site's site-wide marks in line with `policy` (after a change of `linking.siteWideShare`
 * or `siteWideMinPages`, or on a store migrated from before site-wide identifiers). One pass over the
 * per-site counts; a split or join only where the mark changes.
 */
export async function reconcileSiteWide(
  db: Kysely<Database>,
  policy: SiteWidePolicy,
  write: Write,
): Promise<number> {
  const rows = await db
    .selectFrom('site_identifiers as si')
    .innerJoin('site_counts as sc', 'sc.site_id', 'si.site_id')
    .select(['si.site_id', 'si.identifier_id', 'si.pages', 'si.site_wide', 'sc.pages as site_pages'])
    .execute();
  let changed = 0;
  for (const r of rows) {
    const wide = isSiteWide(r.pages, r.site_pages, policy);
    if (wide === (r.site_wide === 1)) continue;
    await write((tx) => setSiteWide(tx, r.site_id, r.identifier_id, wide));
    changed++;
  }
  return changed;
}
