/**
 * Extraction benchmark: recall on the positives (obfuscated forms included), precision on the
 * near misses, and throughput on synthetic shop pages.
 *
 *   npx tsx test/bench/identifiers.ts
 */
import { extractIdentifiers } from '../../src/extract/identifiers/index.ts';
import type { Identifier } from '../../src/extract/types.ts';
import { NEGATIVES, POSITIVES } from '../fixtures/identifiers/cases.ts';

const key = (i: { type: string; value: string }) => `${i.type}:${i.value}`;

let expected = 0;
let found = 0;
let truePos = 0;
let falsePos = 0;
const misses: string[] = [];
const extras: string[] = [];
for (const c of POSITIVES) {
  const got = extractIdentifiers(c.text);
  const gotKeys = new Set(got.map(key));
  const want = new Set(c.expect.map(key));
  for (const x of c.expect) {
    expected++;
    if (gotKeys.has(key(x))) found++;
    else misses.push(`  ${c.name}: missed ${key(x)} in ${JSON.stringify(c.text.slice(0, 120))}`);
  }
  for (const g of got) {
    if (want.has(key(g))) truePos++;
    else {
      falsePos++;
      extras.push(`  ${c.name}: extra ${describe(g, c.text)}`);
    }
  }
}
let nearMissFalse = 0;
for (const c of NEGATIVES) {
  for (const g of extractIdentifiers(c.text)) {
    nearMissFalse++;
    extras.push(`  near miss ${c.name}: ${describe(g, c.text)}`);
  }
}

function describe(g: Identifier, text: string): string {
  return `${key(g)} (${g.validated}) from ${JSON.stringify(text.slice(g.span[0], g.span[1]))}`;
}

const recall = found / expected;
const nearMissPrecision = truePos / (truePos + nearMissFalse);
const precision = truePos / (truePos + falsePos + nearMissFalse);
process.stdout.write(
  `positives: ${POSITIVES.length} cases, ${expected} identifiers; near misses: ${NEGATIVES.length}\n`,
);
process.stdout.write(`recall:                 ${recall.toFixed(4)} (${found}/${expected})\n`);
process.stdout.write(
  `precision (near misses): ${nearMissPrecision.toFixed(4)} (${nearMissFalse} identifiers taken from near misses)\n`,
);
process.stdout.write(
  `precision (all output):  ${precision.toFixed(4)} (${falsePos} unexpected in positives)\n`,
);
if (misses.length) process.stdout.write(`missed:\n${misses.join('\n')}\n`);
if (extras.length) process.stdout.write(`false positives:\n${extras.join('\n')}\n`);

// Throughput: ~100 KB pages of shop-like prose with identifiers, prices, dates and numbers.
const filler = [
  'Мефедрон кристаллы высшего качества, закладки по всему городу, магнит и прикоп. ',
  'Цена 1г — 15 000 ₸, 2г — 28 000 ₸. Доставка 12.05.2024 с 10:00 до 22:00. ',
  'Our shop works 24/7, fast delivery, escrow available, reviews on the forum. ',
  '价格 300 元, 快速发货. Заказ №123456 оплачен, трек 80087654321 отправлен. ',
  'The quick brown fox jumps over the lazy dog while the dealer counts 1 500 000 сум. ',
];
const ids = POSITIVES.map((c) => c.text).join(' ');
let page = '';
for (let i = 0; page.length < 100_000; i++) {
  page += filler[i % filler.length] ?? '';
  if (i % 25 === 0) page += `${ids.slice((i * 97) % ids.length, ((i * 97) % ids.length) + 400)} `;
}
const pageBytes = Buffer.byteLength(page, 'utf8');
for (let i = 0; i < 20; i++) extractIdentifiers(page); // warm up the JIT
// Median of 7 rounds: the machine may be shared, so one round can be slowed down by others.
const rates: number[] = [];
let count = 0;
for (let round = 0; round < 7; round++) {
  const pages = 30;
  const t0 = performance.now();
  count = 0;
  for (let i = 0; i < pages; i++) count += extractIdentifiers(page).length;
  rates.push((pageBytes * pages) / 1e6 / ((performance.now() - t0) / 1000));
}
rates.sort((a, b) => a - b);
process.stdout.write(
  `throughput: ${(rates[3] ?? 0).toFixed(1)} MB/s median, ${(rates[6] ?? 0).toFixed(1)} best, ${(rates[0] ?? 0).toFixed(1)} worst ` +
    `(7 rounds of 30 pages of ${(pageBytes / 1024).toFixed(0)} KB UTF-8, ${count / 30} identifiers/page)\n`,
);
