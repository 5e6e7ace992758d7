/**
 * Writes a letter-spaced copy of a labelled JSONL file to standard output: every word of three or more
 * letters in `text` spelled with a space between its letters (`m d m a p i l l s`), the other fields kept,
 * for measuring what letter spacing costs the classifier:
 *
 *   npx tsx test/bench/letter-spaced.ts ../shared/data/agora-dev.jsonl > /tmp/agora-spaced.jsonl
 *   npx spiderweb eval --input /tmp/agora-spaced.jsonl --label drug --context marketplace
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: letter-spaced.ts FILE.jsonl > OUT.jsonl');
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const row = JSON.parse(line) as { text: string };
  row.text = row.text.replace(/\p{L}{3,}/gu, (w) => [...w].join(' '));
  process.stdout.write(`${JSON.stringify(row)}\n`);
}
