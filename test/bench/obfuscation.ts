/**
 * What obfuscation costs the classifier, measured on rows no part of it was fitted on.
 *
 * Rows are split in two by a hash of their group (`--group FIELD`, e.g. vendor; default: the first
 * 80 letters of the text, so mirrors stay together). A model is trained on one half; the other half
 * is classified as written and in four copies where every word of four or more letters is
 * obfuscated with one trick of the golden corpus's obfuscator (`test/unit/classify/obfuscate.ts`):
 * letter-spaced (`m d m a`), homoglyphs, leetspeak (`m3th`), and transliteration (Russian to
 * Latin; Latin words to Cyrillic). Prints F1 for the lexicons alone and with the model, and each
 * copy's drop. The lexicons were written with the whole dev set in view; the model half is honest.
 *
 *   npx tsx test/bench/obfuscation.ts --input ../shared/data/agora-dev.jsonl --label drug \
 *       --group vendor --context marketplace
 *   npx tsx test/bench/obfuscation.ts --input ../shared/data/onion-dev.jsonl --label sale --context web
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Classification,
  type CompiledLexicons,
  classify,
  encodeWeights,
  latToCyr,
  type ModelManifest,
  modelVersion,
  TextModel,
  TRAIN_DEFAULTS,
  train,
} from '../../src/classify/index.ts';
import { hashString } from '../../src/classify/model/features.ts';
import { prefixGroup } from '../../src/cli/commands/train.ts';
import { loadLexicons } from '../../src/config/index.ts';
import { homoglyphs, leet, spaced, translit } from '../unit/classify/obfuscate.ts';

const args = process.argv.slice(2);
const argOf = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const input = argOf('--input');
const label = argOf('--label');
if (!input || !label)
  throw new Error(
    'usage: obfuscation.ts --input FILE --label FIELD [--group FIELD] [--context web|marketplace]',
  );
const groupField = argOf('--group');
const context = (argOf('--context') ?? 'web') as 'web' | 'marketplace';

const WORD = /\p{L}{4,}/gu;
/** One trick of the golden corpus's obfuscator, applied to every word of four or more letters. */
const every = (trick: (w: string) => string) => (t: string) => t.replace(WORD, trick);
const copies: Record<string, (t: string) => string> = {
  'as written': (t) => t,
  'letter-spaced': every(spaced),
  homoglyph: every(homoglyphs),
  leet: every(leet),
  translit: (t) =>
    t.replace(WORD, (w) => {
      const lower = w.toLowerCase();
      return /[а-яё]/.test(lower) ? translit(lower) : (latToCyr(lower) ?? w);
    }),
};

const rows = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>)
  .filter((r) => r[label] !== null && r[label] !== undefined && typeof r.text === 'string')
  .map((r) => {
    const text = r.text as string;
    return { text, label: r[label] === true, group: groupField ? String(r[groupField]) : prefixGroup(text) };
  });
const half = (g: string) => hashString(`obfuscation:${g}`) % 2;
const fit = rows.filter((r) => half(r.group) === 0);
const held = rows.filter((r) => half(r.group) === 1);

const lexDir = join(import.meta.dirname, '../../config/lexicons');
const lex = await loadLexicons(lexDir, { models: false });
const started = performance.now();
const t = train(fit, lex, { context });
const trainMs = performance.now() - started;
const weights = encodeWeights(t.weights);
const manifest = {
  bits: TRAIN_DEFAULTS.bits,
  bias: t.bias,
  stack: t.stack,
  threshold: t.threshold,
  context,
} as ModelManifest;
manifest.version = modelVersion(weights, manifest);
const withModel: CompiledLexicons = { ...lex, models: { [context]: new TextModel(manifest, t.weights) } };

function f1(lx: CompiledLexicons, obfuscate: (t: string) => string): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const r of held) {
    const c: Classification = classify(obfuscate(r.text), lx, { context });
    if (c.lead && r.label) tp++;
    else if (c.lead) fp++;
    else if (r.label) fn++;
  }
  return tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
}

process.stdout.write(
  `${input}: trained on ${fit.length} rows in ${Math.round(trainMs)} ms, measured on ${held.length} held-out rows (${held.filter((r) => r.label).length} positive), groups by ${groupField ?? 'text prefix'}\n`,
);
process.stdout.write(
  `${'copy'.padEnd(16)} ${'lexicons F1'.padStart(12)} ${'drop'.padStart(7)} ${'+model F1'.padStart(10)} ${'drop'.padStart(7)}\n`,
);
const base = { lex: f1(lex, copies['as written']!), model: f1(withModel, copies['as written']!) };
for (const [name, fn] of Object.entries(copies)) {
  const a = f1(lex, fn);
  const b = f1(withModel, fn);
  process.stdout.write(
    `${name.padEnd(16)} ${a.toFixed(4).padStart(12)} ${(base.lex - a).toFixed(4).padStart(7)} ${b.toFixed(4).padStart(10)} ${(base.model - b).toFixed(4).padStart(7)}\n`,
  );
}
