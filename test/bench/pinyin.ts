/**
 * What Chinese written half in pinyin costs the lexicons: the Chinese rows (`lang: zh`) of the given
 * labelled files, classified as written and with a share of their Han characters spelled in pinyin
 * (each character by a seeded draw, its first reading from `src/classify/pinyin-table.ts`). Prints
 * precision, recall and F1 of each (lexicons alone, web context).
 *
 *   npx tsx test/bench/pinyin.ts [--share 0.2] [--label lead] test/fixtures/blind/set-{1..10}.jsonl
 *
 * The spelling uses the table the classifier reads, so it measures whether the classifier reads what
 * the table spells, not how often vendors do it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { classify } from '../../src/classify/index.ts';
import { binaryMetrics, rng } from '../../src/classify/model/train.ts';
import { pinyinReadings } from '../../src/classify/pinyin.ts';
import { loadLexicons } from '../../src/config/index.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { share: { type: 'string', default: '0.2' }, label: { type: 'string', default: 'lead' } },
});
const share = Number(values.share);
if (!positionals.length) throw new Error('usage: pinyin.ts [--share 0.2] [--label lead] FILE.jsonl...');
const rows = positionals.flatMap((file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.lang === 'zh' && typeof r.text === 'string' && typeof r[values.label] === 'boolean')
    .map((r) => ({ text: r.text as string, label: r[values.label] as boolean })),
);
const lex = await loadLexicons(join(import.meta.dirname, '../../config/lexicons'), { models: false });

function measure(name: string, rewrite: (text: string) => string): void {
  const m = binaryMetrics(
    rows.map((r) => {
      const c = classify(rewrite(r.text), lex);
      return { label: r.label, predicted: c.lead, score: c.score };
    }),
  );
  const f = (x: number) => x.toFixed(3);
  process.stdout.write(`${name.padEnd(24)} P ${f(m.precision)}  R ${f(m.recall)}  F1 ${f(m.f1)}\n`);
}

process.stdout.write(`${rows.length} Chinese rows (${rows.filter((r) => r.label).length} positive)\n`);
measure('as written', (t) => t);
const draw = rng(7);
measure(`${Math.round(share * 100)}% of characters in pinyin`, (t) =>
  t.replace(/\p{Script=Han}/gu, (ch) => {
    const readings = pinyinReadings(ch);
    return readings.length && draw() < share ? (readings[0] as string) : ch;
  }),
);
