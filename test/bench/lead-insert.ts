/**
 * What the lead search index costs each lead (issue #16): N pages of ~10 KB text with two identifiers
 * each are stored and classified as leads through the real store (recordFetched + saveClassification,
 * a SQLite file), once on the current schema (0011: leads_fts over title, substances and identifiers)
 * and once on the schema before it (migrated down to 0010: leads_fts over title and page text).
 * Prints ms of wall and CPU time per lead for each, medians over `--runs`, and a final JSON line.
 *
 *   npx tsx test/bench/lead-insert.ts [--leads 2000] [--runs 3] [--bytes 10000]
 */
import { parseArgs } from 'node:util';
import { Migrator } from 'kysely';
import type { Classification } from '../../src/classify/index.ts';
import type { FetchedRecord } from '../../src/leads/index.ts';
import { Store } from '../../src/leads/index.ts';
import { migrationProvider } from '../../src/leads/migrations.ts';
import { tempDir } from '../helpers/runtime.ts';
import { storeDb } from '../../src/leads/store.ts';

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    bytes: { type: 'string', default: '10000' },
  },
});
const N = Number(values.leads);
const runs = Number(values.runs);
const bytes = Number(values.bytes);

const WORDS =
  'мефедрон закладка кристаллы клад магнит прикоп алматы астана бишкек ташкент доставка гарантия отзывы оптом розница качество вес грамм цена скидка оператор связь бот магазин район город товар наличие'.split(
    ' ',
  );
/** A page's text: words drawn by a cheap LCG, with the page number mixed in, ~`bytes` UTF-8 bytes. */
function pageText(i: number): string {
  let x = i * 2654435761;
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = `${WORDS[x % WORDS.length]}${x % 7 === 0 ? x % 1000 : ''}`;
    out.push(w);
    size += Buffer.byteLength(w) + 1;
  }
  return out.join(' ');
}

const verdict: Classification = {
  score: 0.9,
  lead: true,
  kind: 'sale',
  category: 'synthetic',
  substances: ['mephedrone', 'a-pvp'],
  reasons: [],
  lexiconVersion: 'bench',
} as unknown as Classification;

async function run(shape: 'before' | 'after'): Promise<{ wallMs: number; cpuMs: number }> {
  const dir = tempDir();
  try {
    const store = await Store.open(null, dir.path);
    if (shape === 'before') {
      const { error } = await new Migrator({ db: storeDb(store), provider: migrationProvider }).migrateTo(
        '0010_site_wide_links',
      );
      if (error) throw error;
    }
    const texts = Array.from({ length: N }, (_, i) => pageText(i));
    const at = '2025-01-01T00:00:00.000Z';
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const url = `http://market.test/item/${i}`;
      const record: FetchedRecord = {
        crawlId: 'bench',
        siteId: 'market',
        url,
        finalUrl: url,
        status: 200,
        contentHash: `h${i}`,
        title: `Мефедрон кристаллы ${i} г`,
        text: texts[i]!,
        listing: null,
        lang: 'ru',
        identifiers: [
          {
            type: 'telegram',
            value: `vendor_${i % 40}`,
            span: [0, 1],
            validated: 'syntax',
            deobfuscated: false,
          },
          {
            type: 'tron',
            value: `T${String(i % 40).padStart(33, 'x')}`,
            span: [0, 1],
            validated: 'syntax',
            deobfuscated: false,
          },
        ],
        fetchedVia: 'http',
        robots: 'obey',
        foundVia: 'seed',
        depth: 0,
        at,
      } as FetchedRecord;
      const { pageId } = await store.recordFetched(record);
      await store.saveClassification((await store.page(pageId))!, verdict, 'bench', at);
    }
    const cpu = process.cpuUsage(c0);
    const wallMs = performance.now() - t0;
    await store.close();
    return { wallMs: wallMs / N, cpuMs: (cpu.user + cpu.system) / 1000 / N };
  } finally {
    dir.remove();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const result: Record<string, { wallMsPerLead: number; cpuMsPerLead: number }> = {};
const samples: Record<'before' | 'after', Array<{ wallMs: number; cpuMs: number }>> = {
  before: [],
  after: [],
};
for (let r = 0; r < runs; r++) {
  // Alternate, so a change in the machine's speed touches both.
  for (const shape of ['before', 'after'] as const) samples[shape].push(await run(shape));
}
for (const shape of ['before', 'after'] as const) {
  const wall = median(samples[shape].map((s) => s.wallMs));
  const cpu = median(samples[shape].map((s) => s.cpuMs));
  result[shape] = {
    wallMsPerLead: Math.round(wall * 1000) / 1000,
    cpuMsPerLead: Math.round(cpu * 1000) / 1000,
  };
  console.log(
    `${shape === 'before' ? 'before (0010: title + page text)' : 'after  (0011: title, substances, identifiers)'}: ` +
      `${wall.toFixed(3)} ms/lead wall, ${cpu.toFixed(3)} ms/lead CPU (page + lead writes, ${N} leads, ${bytes} B text)`,
  );
}
console.log(JSON.stringify({ leads: N, bytes, runs, ...result }));
