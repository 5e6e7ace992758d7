/**
 * Review app speed at scale: N leads (default 100 000) with their pages in a temporary SQLite store,
 * then the median and p95 of 20 requests through the app's `fetch` handler, signed in, for the queue's
 * first page, a page deep in the keyset, filtered and searched queues, the API and a lead page.
 *
 *   npx tsx test/bench/review.ts [--leads 100000] [--text-bytes 800] [--runs 20] [--keep DIR]
 *
 * `--keep DIR` keeps the store in DIR and reuses it on the next run (no re-insert).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { Store } from '../../src/leads/index.ts';
import { addAnalyst, createReviewApp } from '../../src/review/index.ts';
import { encodeCursor } from '../../src/review/filters.ts';
import { AppClient } from '../unit/review/helpers.ts';
import { tempDir } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';
import { rng } from '../../src/classify/model/train.ts';

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: '100000' },
    'text-bytes': { type: 'string', default: '800' },
    runs: { type: 'string', default: '20' },
    keep: { type: 'string' },
  },
});
const N = Number(values.leads);
const textBytes = Number(values['text-bytes']);
const runs = Number(values.runs);

const WORDS = [
  'мефедрон',
  'закладка',
  'кристалл',
  'соль',
  'доставка',
  'город',
  'гарантия',
  'качество',
  'клад',
  'магнит',
  'mephedrone',
  'crystal',
  'shipping',
  'stealth',
  'vendor',
  'review',
  'погода',
  'новости',
  'рецепт',
  'форум',
];
const SUBSTANCES = [
  'mephedrone',
  'a-pvp',
  'cocaine',
  'amphetamine',
  'cannabis',
  'mdma',
  'heroin',
  'methadone',
];
const CATEGORIES = ['nps', 'synthetic', 'classic', 'pharma', null];
const LANGS = ['ru', 'kk', 'ky', 'uz', 'en', 'zh'];
const STATUS = [
  'new',
  'new',
  'new',
  'new',
  'new',
  'new',
  'new',
  'confirmed',
  'dismissed',
  'escalated',
] as const;

// train's seeded generator: the float LCG used before repeated itself after about 10,000 draws.
const rand = rng(42);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;

function text(i: number): string {
  const parts: string[] = [`Объявление ${i}.`];
  while (parts.join(' ').length < textBytes) parts.push(pick(WORDS));
  return parts.join(' ');
}

/** A vendor's TRON-like wallet: 34 characters, unique per vendor. */
const wallet = (v: number) => `T${v.toString(36).padStart(6, '0')}Kq9Y2khEsLJW1ChVWFMSMeRDow5`;

const dir = values.keep ? { path: values.keep, remove() {} } : tempDir('spiderweb-bench-review-');
const reuse = values.keep !== undefined && existsSync(join(values.keep, 'spiderweb.sqlite'));
const store = await Store.open(null, dir.path);
const t0 = performance.now();
const base = Date.parse('2024-01-01T00:00:00Z');
const BATCH = 500;
for (let start = 0; !reuse && start < N; start += BATCH) {
  await storeDb(store)
    .transaction()
    .execute(async (tx) => {
      const n = Math.min(BATCH, N - start);
      const at = (i: number) => new Date(base + i * 60_000).toISOString();
      const pages = await tx
        .insertInto('pages')
        .values(
          Array.from({ length: n }, (_, k) => {
            const i = start + k;
            return {
              site_id: `site-${i % 20}`,
              url: `http://shop-${i % 20}.example/item/${i}`,
              final_url: null,
              status: 200,
              state: 'fetched' as const,
              fail_reason: null,
              fail_message: null,
              content_hash: `h${i}`,
              title: `Listing ${i} ${pick(WORDS)}`,
              text: text(i),
              listing: null,
              lang: pick(LANGS),
              identifiers: '[]',
              fetched_via: 'http',
              found_via: 'link',
              depth: 1,
              first_seen: at(i),
              last_fetched: at(i),
              crawl_id: 'bench',
              robots: 'obey',
            };
          }) as never,
        )
        .returning(['id', 'title', 'site_id', 'url', 'first_seen'])
        .execute();
      // Every 50 listings are one vendor's, with its wallet and handle (linked before the leads, as a crawl does).
      const vendors = [...new Set(pages.map((_, k) => Math.floor((start + k) / 50)))];
      const ids = await tx
        .insertInto('identifiers')
        .values(
          vendors.flatMap((v) => [
            { type: 'tron', value: wallet(v), validated: 'checksum', first_seen: at(0), last_seen: at(0) },
            {
              type: 'telegram',
              value: `vendor_${v}_shop`,
              validated: 'syntax',
              first_seen: at(0),
              last_seen: at(0),
            },
          ]),
        )
        .onConflict((oc) => oc.columns(['type', 'value']).doUpdateSet({ last_seen: at(0) }))
        .returning(['id', 'value'])
        .execute();
      const idOf = new Map(ids.map((r) => [r.value, r.id]));
      await tx
        .insertInto('page_identifiers')
        .values(
          pages.flatMap((p, k) => {
            const v = Math.floor((start + k) / 50);
            return [wallet(v), `vendor_${v}_shop`].map((value) => ({
              page_id: p.id,
              identifier_id: idOf.get(value)!,
              deobfuscated: 0,
              first_seen: at(0),
            }));
          }),
        )
        .execute();
      await tx
        .insertInto('leads')
        .values(
          pages.map((p) => ({
            page_id: p.id,
            site_id: p.site_id,
            url: p.url,
            title: p.title,
            score: Math.round((0.5 + rand() / 2) * 1000) / 1000,
            kind: 'sale',
            category: pick(CATEGORIES),
            substances: JSON.stringify([pick(SUBSTANCES), pick(SUBSTANCES)]),
            reasons: JSON.stringify([
              {
                group: 'substance',
                term: 'mephedrone',
                form: 'x',
                span: [0, 1],
                weight: 0.9,
                contribution: 0.5,
              },
            ]),
            status: pick(STATUS),
            lexicon_version: 'bench',
            found_via: 'link',
            first_seen: p.first_seen,
            last_seen: p.first_seen,
            gone_at: null,
            crawl_id: 'bench',
            cluster_id: null,
          })),
        )
        .execute();
    });
}
await sql`analyze`.execute(storeDb(store));
const loadSecs = (performance.now() - t0) / 1000;
console.log(
  reuse
    ? `reusing the store in ${dir.path}`
    : `inserted ${N} leads and pages (${textBytes} B of text each) in ${loadSecs.toFixed(1)} s`,
);

if (!reuse) await addAnalyst(store, 'bench', 'correct horse battery');
const app = createReviewApp({ store });
const client = new AppClient(app);
await client.login('bench', 'correct horse battery');

const deep = Math.floor(N * 0.9);
const cursorAt = async (where: string, order: 'score' | 'last_seen', offset: number) => {
  const r = await sql<{
    v: number | string;
    id: number;
  }>`select ${sql.ref(order)} as v, id from leads ${sql.raw(where)}
    order by ${sql.ref(order)} desc, id desc limit 1 offset ${offset}`.execute(storeDb(store));
  return encodeCursor(r.rows[0]!);
};
const deepAll = await cursorAt('', 'score', deep);
const deepNew = await cursorAt("where status = 'new'", 'score', Math.floor(N * 0.6));
const deepLastSeen = await cursorAt('', 'last_seen', deep);

const cases: Array<[string, string]> = [
  ['queue, first page (status new, by score)', '/'],
  ['queue, all statuses, first page', '/?status=all'],
  [`queue, all statuses, page at row ${deep}`, `/?status=all&after=${deepAll}`],
  [`queue, status new, page at row ${Math.floor(N * 0.6)}`, `/?status=new&after=${deepNew}`],
  [`queue, by last seen, page at row ${deep}`, `/?status=all&sort=last_seen&after=${deepLastSeen}`],
  ['queue, site filter', '/?status=all&site=site-3'],
  ['queue, substance filter', '/?status=all&substance=cocaine'],
  ['queue, language + category', '/?status=new&lang=kk&category=nps'],
  ['queue, search (1 word: titles, substances, identifiers)', '/?status=all&q=мефедрон'],
  ['queue, search through word forms (мефедрона)', `/?status=all&q=${encodeURIComponent('мефедрона')}`],
  ['queue, search (2 words)', '/?status=all&q=кристалл%20stealth'],
  ["queue, search a vendor's wallet", `/?status=all&q=${wallet(Math.floor(N / 100))}`],
  ["queue, search a vendor's handle", `/?status=all&q=vendor_${Math.floor(N / 100)}_shop`],
  ['queue, search in page text too (1 word, in_text=1)', '/?status=all&q=мефедрон&in_text=1'],
  ['queue, rare word in page text (in_text=1)', '/?status=all&q=Объявление%2099999&in_text=1'],
  ['API /api/leads, first page', '/api/leads?status=all'],
  [`API /api/leads, page at row ${deep}`, `/api/leads?status=all&after=${deepAll}&count=0`],
  ['lead page', `/leads/${Math.floor(N / 2)}`],
];

const results: Record<string, { medianMs: number; p95Ms: number; bytes: number }> = {};
for (const [name, path] of cases) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    const res = await client.request(path);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    if (i >= 2) times.push(performance.now() - t); // two warm-up requests
    bytes = body.length;
  }
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)]!;
  const p95Ms = times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)]!;
  results[name] = { medianMs: Math.round(medianMs * 10) / 10, p95Ms: Math.round(p95Ms * 10) / 10, bytes };
  console.log(
    `${name.padEnd(48)} median ${medianMs.toFixed(1).padStart(7)} ms   p95 ${p95Ms.toFixed(1).padStart(7)} ms`,
  );
}
console.log(JSON.stringify({ leads: N, textBytes, runs, loadSecs: Math.round(loadSecs), results }));
await store.close();
dir.remove();
