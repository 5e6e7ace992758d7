import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Identifier, parseHtml } from '../../src/extract/index.ts';
import type { Store } from '../../src/leads/index.ts';
import { addAnalyst, createReviewApp } from '../../src/review/index.ts';
import { BACKENDS, type TestDb, testDb } from '../helpers/db.ts';
import { fetched, identifier, T0, verdict } from '../helpers/records.ts';
import { AppClient } from '../unit/review/helpers.ts';
import { storeDb } from '../../src/leads/store.ts';

const FOOTER = 'support@market.test';
const id = identifier;

interface SitePage {
  siteId: string;
  url: string;
  identifiers: Identifier[];
  lead: boolean;
  /** The seller a listing belongs to: what its cluster must be. */
  vendor?: string;
}

const record = (p: SitePage) => fetched(p.siteId, p.url, p.identifiers);

/**
 * A market of 30 pages, every one with the market's support e-mail in its footer: 10 pages that are
 * no lead (index, help) and 4 vendors with 5 listings each, each vendor's listings sharing its wallet.
 * Vendor 0's listings come first, so at the site's 20th page its wallet is on 5 of 20 (over 0.2: site-wide
 * then) and links again by the 25th: the decision moves with the crawl both ways.
 */
function market(): SitePage[] {
  const footer = id('email', FOOTER);
  const listings = (v: number) =>
    Array.from({ length: 5 }, (_, i) => ({
      siteId: 'market',
      url: `http://market.test/v${v}/item${i}`,
      identifiers: [footer, id('btc', `bc1qvendor${v}`)],
      lead: true,
      vendor: `v${v}`,
    }));
  const others = Array.from({ length: 10 }, (_, i) => ({
    siteId: 'market',
    url: `http://market.test/page${i}`,
    identifiers: [footer],
    lead: false,
  }));
  const rest = [listings(1), listings(2), listings(3), others];
  const mixed: SitePage[] = [];
  for (let i = 0; rest.some((r) => r.length > i); i++) for (const r of rest) if (r[i]) mixed.push(r[i]!);
  return [...listings(0), ...mixed];
}

/** A forum post by vendor 0 (same wallet: the same seller), and one that quotes the market's e-mail. */
const forum: SitePage[] = [
  {
    siteId: 'forum',
    url: 'http://forum.test/t1',
    identifiers: [id('btc', 'bc1qvendor0')],
    lead: true,
    vendor: 'v0',
  },
  {
    siteId: 'forum',
    url: 'http://forum.test/t2',
    identifiers: [id('email', FOOTER)],
    lead: true,
    vendor: 'quote',
  },
];

describe.each(BACKENDS)('site-wide identifiers on %s', (backend) => {
  let tdb: TestDb;
  let store: Store;

  beforeEach(async () => {
    tdb = await testDb(backend);
    store = await tdb.open();
  });

  afterEach(async () => {
    await store?.close();
    await tdb?.drop();
  });

  const crawl = async (s: Store, p: SitePage) => {
    const { pageId } = await s.recordFetched(record(p));
    await s.saveClassification((await s.pageToClassify(pageId))!, verdict(p.lead), 'c1', T0);
  };

  /** Clusters as sorted lists of lead URLs, once the pages' site counts are added up (PostgreSQL folds them later). */
  const clusters = async (s: Store) => {
    await s.foldSiteCounts();
    const by = new Map<number, string[]>();
    for (const l of await s.leads()) by.set(l.cluster_id!, [...(by.get(l.cluster_id!) ?? []), l.url]);
    return [...by.values()].map((urls) => urls.sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
  };

  const vendors = (pages: SitePage[]) => {
    const by = new Map<string, string[]>();
    for (const p of pages) if (p.vendor) by.set(p.vendor, [...(by.get(p.vendor) ?? []), p.url]);
    return [...by.values()].map((urls) => urls.sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
  };

  /** The stored cluster of each identifier agrees with its leads: what a new lead merges from. */
  const expectIdentifierClusters = async (s: Store) => {
    await s.foldSiteCounts();
    const wallet = (await s.findIdentifier('bc1qvendor0'))!;
    const leads = await s.leadsWithIdentifier(wallet.id);
    expect(new Set(leads.map((l) => l.cluster_id))).toEqual(new Set([wallet.cluster_id]));
    const footer = (await s.findIdentifier(FOOTER))!;
    const quoting = (await s.leads()).find((l) => l.url === 'http://forum.test/t2');
    // Site-wide on the market, so it links only the forum's lead (when crawled).
    expect(footer.cluster_id).toBe(quoting?.cluster_id ?? null);
  };

  it('clusters are vendors: the footer e-mail is stored and shown but joins nothing', async () => {
    const pages = [...market(), ...forum];
    const siteWide = async () => {
      await store.foldSiteCounts();
      return (
        await storeDb(store)
          .selectFrom('site_identifiers')
          .innerJoin('identifiers', 'identifiers.id', 'site_identifiers.identifier_id')
          .select('identifiers.value')
          .where('site_wide', '=', 1)
          .orderBy('identifiers.value')
          .execute()
      ).map((r) => r.value);
    };
    for (const p of pages.slice(0, 19)) await crawl(store, p);
    expect(await siteWide()).toEqual([]);
    expect(await clusters(store)).toHaveLength(1); // below minPages the footer still links
    await crawl(store, pages[19]!);
    // 20 pages: the footer (20 of 20) and vendor 0's wallet (5 of 20) are over 0.2.
    expect(await siteWide()).toEqual(['bc1qvendor0', FOOTER]);
    expect((await clusters(store)).filter((c) => c[0]!.includes('/v0/'))).toHaveLength(5);
    for (const p of pages.slice(20, 25)) await crawl(store, p);
    // 25 pages: 5 of 25 is not over 0.2; vendor 0's listings are one seller again.
    expect(await siteWide()).toEqual([FOOTER]);
    expect((await clusters(store)).filter((c) => c[0]!.includes('/v0/'))).toHaveLength(1);
    for (const p of pages.slice(25)) await crawl(store, p);
    expect(await clusters(store)).toEqual(vendors(pages));

    const leads = await store.leads();
    expect(leads).toHaveLength(22);
    const lead = leads.find((l) => l.url === 'http://market.test/v2/item0')!;
    expect((await store.pageIdentifiers(lead.page_id)).map((i) => i.value).sort()).toEqual([
      'bc1qvendor2',
      FOOTER,
    ]);
    // Shown as the site's contact on the lead, not as a link.
    const shown = await store.pageIdentifiers(lead.page_id);
    const footerId = shown.find((i) => i.value === FOOTER)!.id;
    expect(
      await store.siteWideIdentifiers(
        'market',
        shown.map((i) => i.id),
      ),
    ).toEqual(new Set([footerId]));
    expect(await store.siteWideIdentifiers('forum', [footerId])).toEqual(new Set());
    await addAnalyst(store, 'alice', 'correct horse battery');
    const app = new AppClient(createReviewApp({ store }));
    await app.login('alice', 'correct horse battery');
    const html = await (await app.request(`/leads/${lead.id}`)).text();
    expect(html).toContain(FOOTER);
    expect(html.match(/site contact/g)).toHaveLength(1);
    const view = (await store.cluster(lead.cluster_id!))!;
    expect(view.leads).toHaveLength(5);
    expect(view.identifiers.map((i) => i.value)).toContain(FOOTER);
    const footer = (await store.identifiers()).find((i) => i.value === FOOTER)!;
    expect(footer).toMatchObject({ pages: 31, leads: 21, clusters: 5 });
    const marks = await storeDb(store)
      .selectFrom('site_identifiers')
      .innerJoin('identifiers', 'identifiers.id', 'site_identifiers.identifier_id')
      .select(['site_identifiers.site_id', 'identifiers.value', 'site_identifiers.pages', 'site_wide'])
      .where('site_wide', '=', 1)
      .execute();
    expect(marks).toEqual([{ site_id: 'market', value: FOOTER, pages: 30, site_wide: 1 }]);
    await expectIdentifierClusters(store);
  });

  it("a buyer's handle in two sellers' reviews is kept with their pages and joins neither", async () => {
    // Identifiers as the crawler reads them from the listings' markup.
    const listing = (url: string, seller: string, buyerIn: 'reviews' | 'listing') => {
      const buyer = '<p>отзыв от @buyer_x: всё нашёл, спасибо</p>';
      const html = `<article><h1>Мефедрон 1 г</h1><p>Продавец: @${seller}</p>${buyerIn === 'listing' ? buyer : ''}</article>
        <div class="reviews">${buyerIn === 'reviews' ? buyer : '<p>отзывов пока нет</p>'}</div>`;
      return { url, identifiers: parseHtml({ html, url, finalUrl: url, siteId: 'shop' }).identifiers };
    };
    const save = async (s: Store, p: { url: string; identifiers: Identifier[] }) => {
      const { pageId } = await s.recordFetched(fetched('shop', p.url, p.identifiers));
      await s.saveClassification((await s.pageToClassify(pageId))!, verdict(true), 'c1', T0);
    };
    for (const p of [
      listing('http://shop.test/a1', 'seller_a', 'reviews'),
      listing('http://shop.test/a2', 'seller_a', 'reviews'),
      listing('http://shop.test/b1', 'seller_b', 'reviews'),
    ])
      await save(store, p);
    expect(await clusters(store)).toEqual([
      ['http://shop.test/a1', 'http://shop.test/a2'],
      ['http://shop.test/b1'],
    ]);
    expect(await store.findIdentifier('buyer_x')).toBeFalsy();
    const b1 = (await store.leads()).find((l) => l.url === 'http://shop.test/b1')!;
    expect((await store.pageIdentifiers(b1.page_id)).map((i) => i.value)).toEqual(['seller_b']);
    const kept = await storeDb(store)
      .selectFrom('pages')
      .select('identifiers')
      .where('id', '=', b1.page_id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(kept.identifiers)).toContainEqual(
      expect.objectContaining({ value: 'buyer_x', quoted: true }),
    );
    // The lead page lists it apart, as quoted, and links it to nothing.
    await addAnalyst(store, 'alice', 'correct horse battery');
    const app = new AppClient(createReviewApp({ store }));
    await app.login('alice', 'correct horse battery');
    const page = await (await app.request(`/leads/${b1.id}`)).text();
    expect(page.slice(page.indexOf('Quoted in reviews or comments'))).toContain(
      '<span class="value">buyer_x</span>',
    );
    expect(page).not.toContain('identifier=telegram%3Abuyer_x');
    expect(page).toContain('identifier=telegram%3Aseller_b');
    // The same handle in a listing's own text is that page's, and links as before.
    await save(store, listing('http://shop.test/b2', 'seller_b', 'listing'));
    await save(store, listing('http://shop.test/c1', 'seller_c', 'listing'));
    expect(await clusters(store)).toEqual([
      ['http://shop.test/a1', 'http://shop.test/a2'],
      ['http://shop.test/b1', 'http://shop.test/b2', 'http://shop.test/c1'],
    ]);
  });

  it('ends with the same clusters when pages are written concurrently', async () => {
    const pages = [...market(), ...forum];
    for (let i = 0; i < pages.length; i += 16)
      await Promise.all(pages.slice(i, i + 16).map((p) => crawl(store, p)));
    expect(await clusters(store)).toEqual(vendors(pages));
    await expectIdentifierClusters(store);
  });

  it("a lead's new identifier keeps its cluster when the lead's own cluster splits before the lead is saved", async () => {
    const tag = id('telegram', 'escrowbot');
    const [walletA, walletB] = [id('btc', 'bc1qsellera'), id('btc', 'bc1qsellerb')];
    const page = (url: string, identifiers: Identifier[], hash = 'h1') =>
      fetched('market', `http://market.test/${url}`, identifiers, { contentHash: `${hash}:${url}` });
    for (let i = 0; i < 20; i++) await store.recordFetched(page(`help${i}`, []));
    const save = async (pageId: number) =>
      (await store.saveClassification((await store.pageToClassify(pageId))!, verdict(true), 'c1', T0))
        .leadId!;
    const a1 = await save((await store.recordFetched(page('a1', [walletA, tag]))).pageId);
    const a2 = await save((await store.recordFetched(page('a2', [walletA]))).pageId);
    const b = await save((await store.recordFetched(page('b', [walletB]))).pageId);
    const clusterOf = async (lead: number) => (await store.lead(lead))!.cluster_id;
    expect(await clusterOf(a2)).toBe(await clusterOf(a1));
    expect(await clusterOf(b)).not.toBe(await clusterOf(a1));

    // Seller A's listing comes back naming seller B's wallet too (one seller after all); before its save,
    // the tag it also shows goes site-wide (6 of 28 pages), which splits A's cluster again.
    const again = await store.recordFetched(page('a1', [walletA, tag, walletB], 'h2'));
    expect(again.changed).toBe(true);
    for (let i = 0; i < 5; i++) await store.recordFetched(page(`faq${i}`, [tag]));
    await store.foldSiteCounts();
    expect(
      await store.siteWideIdentifiers('market', [(await store.findIdentifier('escrowbot'))!.id]),
    ).toHaveLength(1);
    // The split moved only A's own identifiers: B's wallet is still in B's cluster.
    expect((await store.findIdentifier(walletB.value))!.cluster_id).toBe(await clusterOf(b));

    await save(again.pageId);
    const cluster = await clusterOf(a1);
    expect(await Promise.all([a2, b].map(clusterOf))).toEqual([cluster, cluster]);
    expect((await store.findIdentifier(walletB.value))!.cluster_id).toBe(cluster);
  });

  it('a small site (fewer pages than siteWideMinPages) still links through what every page shows', async () => {
    const pages = market().slice(0, 12);
    for (const p of pages) await crawl(store, p);
    const all = await clusters(store);
    expect(all).toHaveLength(1);
    expect(all[0]).toHaveLength(pages.filter((p) => p.lead).length);
  });

  it('linking.ignore still keeps an identifier out entirely, whatever its share', async () => {
    await store.close();
    store = await tdb.open({ ignoreIdentifiers: ['btc:bc1qvendor1'], siteWide: { minPages: 1000 } });
    const pages = market();
    for (const p of pages) await crawl(store, p);
    // The footer links everything on a site below minPages, except through nothing for vendor 1:
    // its listings still join by the footer; the wallet itself is never stored.
    expect(await store.findIdentifier('bc1qvendor1')).toBeUndefined();
    expect(await clusters(store)).toHaveLength(1);
    await store.close();

    // With the footer ignored too and the default policy, vendor 1's listings share nothing: each alone.
    const other = await testDb(backend);
    try {
      store = await other.open({ ignoreIdentifiers: ['btc:bc1qvendor1', `email:${FOOTER}`] });
      for (const p of pages) await crawl(store, p);
      const all = await clusters(store);
      expect(all.filter((c) => c.length === 1)).toHaveLength(5);
      expect(all.filter((c) => c.length === 5)).toHaveLength(3);
      expect(await store.findIdentifier(FOOTER)).toBeUndefined();
    } finally {
      await store.close();
      await other.drop();
      store = await tdb.open();
    }
  });

  it('a store reopened with another share re-marks identifiers and reshapes clusters', async () => {
    const pages = market();
    await store.close();
    // Share 1: nothing is site-wide, the footer joins every listing.
    store = await tdb.open({ siteWide: { share: 1 } });
    for (const p of pages) await crawl(store, p);
    expect(await clusters(store)).toHaveLength(1);
    await store.close();
    store = await tdb.open();
    expect(await store.reconcileSiteWide()).toBe(1);
    expect(await clusters(store)).toEqual(vendors(pages));
    expect(await store.reconcileSiteWide()).toBe(0);
    await store.close();
    store = await tdb.open({ siteWide: { share: 1 } });
    expect(await store.reconcileSiteWide()).toBe(1);
    expect(await clusters(store)).toHaveLength(1);
  });
});
