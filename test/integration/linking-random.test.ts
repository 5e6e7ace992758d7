import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Identifier } from '../../src/extract/index.ts';
import type { Store } from '../../src/leads/index.ts';
import { isSiteWide, type SiteWidePolicy } from '../../src/leads/clusters.ts';
import { storeDb } from '../../src/leads/store.ts';
import { BACKENDS, type TestDb, testDb } from '../helpers/db.ts';
import { fetched, identifier as id, T0, verdict } from '../helpers/records.ts';

/**
 * Clustering checked against its definition on generated markets crawled all at once: after the crawl,
 * and again after a recrawl that changes pages (new wallets, verdicts turned), the clusters are the
 * connected components of leads through the identifiers that are not site-wide on each lead's site,
 * as computed here from the stored pages and links; and each identifier is in its leads' cluster.
 * Every save of a pass runs concurrently, so site-wide marks flip while others save. The bugs found this
 * way also have tests of their own, which name the sequence (linking-site-wide, cluster-join).
 */
interface Page {
  site: string;
  url: string;
  identifiers: Identifier[];
  lead: boolean;
  hash: string;
}

function random(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

/** Two markets (footer e-mail on every page, an escrow bot on a quarter of one's), their sellers, a forum. */
function market(seed: number): { crawl: Page[]; recrawl: Page[] } {
  const r = random(seed);
  const footer: Record<string, Identifier> = {
    market: id('email', 'support@market.test'),
    shop: id('email', 'help@shop.test'),
  };
  const escrow = id('telegram', 'escrowbot');
  const vendors = 6 + r.int(6);
  const wallet = (v: number) => id('btc', `bc1qvendor${v}`);
  const handle = (v: number) => id('telegram', `vendor${v}shop`);
  const pages: Page[] = [];
  for (let v = 0; v < vendors; v++) {
    const site = r.next() < 0.5 ? 'market' : 'shop';
    for (let i = 0, n = 2 + r.int(6); i < n; i++) {
      const identifiers = [footer[site]!, r.next() < 0.8 ? wallet(v) : handle(v)];
      if (r.next() < 0.3) identifiers.push(handle(v));
      if (site === 'market' && r.next() < 0.25) identifiers.push(escrow);
      if (r.next() < 0.08) identifiers.push(wallet(r.int(vendors))); // one seller under two names
      pages.push({
        site,
        url: `http://${site}.test/v${v}/${i}`,
        identifiers,
        lead: r.next() < 0.9,
        hash: 'a',
      });
    }
  }
  for (const site of ['market', 'shop']) {
    for (let i = 0, n = 5 + r.int(25); i < n; i++) {
      const identifiers = [footer[site]!];
      if (site === 'market' && r.next() < 0.25) identifiers.push(escrow);
      pages.push({ site, url: `http://${site}.test/page${i}`, identifiers, lead: r.next() < 0.1, hash: 'a' });
    }
  }
  for (let i = 0; i < 6; i++) {
    const quoted = [footer.market!, footer.shop!, wallet(r.int(vendors)), handle(r.int(vendors)), escrow];
    const identifiers = [quoted[r.int(quoted.length)]!];
    pages.push({
      site: 'forum',
      url: `http://forum.test/t${i}`,
      identifiers,
      lead: r.next() < 0.8,
      hash: 'a',
    });
  }
  const shuffled = (xs: Page[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const recrawl = shuffled([...pages])
    .slice(0, pages.length >> 2)
    .map((p) => ({
      ...p,
      identifiers: r.next() < 0.5 ? [...p.identifiers, wallet(r.int(vendors))] : p.identifiers,
      lead: r.next() < 0.8 ? p.lead : !p.lead,
      hash: 'b',
    }));
  return { crawl: shuffled(pages), recrawl };
}

/** Lead ids grouped as the definition says (`expected`) and as stored (`stored`); identifiers out of place. */
async function clusters(store: Store, policy: SiteWidePolicy) {
  await store.foldSiteCounts();
  const db = storeDb(store);
  const pages = await db.selectFrom('pages').select(['id', 'site_id']).execute();
  const links = await db.selectFrom('page_identifiers').select(['page_id', 'identifier_id']).execute();
  const leads = await db.selectFrom('leads').select(['id', 'page_id', 'site_id', 'cluster_id']).execute();
  const identifiers = await db.selectFrom('identifiers').select(['id', 'value', 'cluster_id']).execute();
  const siteOf = new Map(pages.map((p) => [p.id, p.site_id]));
  const count = new Map<string, number>();
  for (const p of pages) count.set(p.site_id, (count.get(p.site_id) ?? 0) + 1);
  for (const l of links) {
    const k = `${siteOf.get(l.page_id)} ${l.identifier_id}`;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const siteWide = (site: string, i: number) =>
    isSiteWide(count.get(`${site} ${i}`) ?? 0, count.get(site) ?? 0, policy);

  const parent = new Map<string, string>();
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  const leadOf = new Map(leads.map((l) => [l.page_id, l]));
  for (const l of leads) parent.set(`lead ${l.id}`, `lead ${l.id}`);
  for (const link of links) {
    const lead = leadOf.get(link.page_id);
    if (!lead || siteWide(lead.site_id, link.identifier_id)) continue;
    const node = `identifier ${link.identifier_id}`;
    if (!parent.has(node)) parent.set(node, node);
    const [a, b] = [find(`lead ${lead.id}`), find(node)];
    if (a !== b) parent.set(a, b);
  }
  const grouped = (key: (l: (typeof leads)[number]) => unknown) => {
    const by = new Map<unknown, number[]>();
    for (const l of leads) by.set(key(l), [...(by.get(key(l)) ?? []), l.id]);
    return [...by.values()].map((ids) => ids.sort((a, b) => a - b).join(',')).sort();
  };
  const clusterOfLead = new Map(leads.map((l) => [l.id, l.cluster_id]));
  const root = new Map(leads.map((l) => [find(`lead ${l.id}`), l.id]));
  const misplaced = identifiers.flatMap((i) => {
    const node = `identifier ${i.id}`;
    const want = parent.has(node) ? clusterOfLead.get(root.get(find(node))!) : null;
    return i.cluster_id === want ? [] : [`${i.value} in ${i.cluster_id}, its leads in ${want}`];
  });
  return { expected: grouped((l) => find(`lead ${l.id}`)), stored: grouped((l) => l.cluster_id), misplaced };
}

describe.each(BACKENDS)(
  'clusters of markets crawled concurrently, against their definition, on %s',
  (backend) => {
    let tdb: TestDb;
    let store: Store;
    beforeEach(async () => {
      tdb = await testDb(backend);
    });
    afterEach(async () => {
      await store?.close();
      await tdb?.drop();
    });

    // Small sites reach minPages early, so identifiers cross the share both ways while pages save. Of the
    // first 80 markets, 17, 24, 26 and 33 failed before a split left other clusters' identifiers alone.
    const policies: SiteWidePolicy[] = [
      { share: 0.2, minPages: 20 },
      { share: 0.1, minPages: 5 },
    ];
    it.each([1, 2, 17, 24, 26, 33].map((seed) => [seed, policies[seed % 2]!] as const))(
      'market %i (%o)',
      async (seed, policy) => {
        store = await tdb.open({ siteWide: policy });
        const { crawl, recrawl } = market(seed);
        const visit = async (p: Page) => {
          const record = fetched(p.site, p.url, p.identifiers, { contentHash: `${p.hash}:${p.url}` });
          const { pageId, changed } = await store.recordFetched(record);
          if (changed)
            await store.saveClassification((await store.pageToClassify(pageId))!, verdict(p.lead), 'c1', T0);
        };
        await Promise.all(crawl.map(visit));
        const first = await clusters(store, policy);
        expect(first.stored).toEqual(first.expected);
        expect(first.misplaced).toEqual([]);
        expect(first.expected.length).toBeGreaterThan(3);
        await Promise.all(recrawl.map(visit));
        const second = await clusters(store, policy);
        expect(second.stored).toEqual(second.expected);
        expect(second.misplaced).toEqual([]);
      },
    );
  },
);
