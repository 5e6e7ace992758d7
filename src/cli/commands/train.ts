import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import {
  choosesRecruitment,
  type BinaryMetrics,
  type CompiledLexicons,
  encodeWeights,
  MODEL_FORMAT,
  type ModelManifest,
  modelVersion,
  normaliseText,
  oofBy,
  type SiteContext,
  TRAIN_DEFAULTS,
  type TrainResult,
  type TrainRow,
  train,
} from '../../classify/index.ts';
import { loadConfig, loadLexicons } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { reviewedLeads, Store } from '../../leads/index.ts';
import { collect, table } from '../output.ts';
import { checkReviewsBy, contextOption, fieldValue, readLabelled } from './classify.ts';

interface TrainCliOptions {
  input?: string[];
  label?: string[];
  positive?: string[];
  negative?: string[];
  group?: string;
  groupFiles?: boolean;
  maxChars?: string;
  context?: string;
  out?: string;
  fromReviews?: boolean;
  lexicons?: string;
  folds: string;
  seed: string;
  bits: string;
  epochs: string;
  l2: string;
  json?: boolean;
  by?: string;
  oof?: string;
}

const HELP = `
Rows are split into folds by --group (a vendor or site field; no group in two folds), or with
--group-files by input file (sets written or collected apart). Without either, rows whose first
80 letters are the same (mirrors, reposts) share a group. Every figure printed is out-of-fold; the
model written is then trained on every row. --input may be given more than once: a text already
read from an earlier file is skipped, so a corpus that copies rows of another counts them once.

--max-chars N: the model judges texts of up to N characters, and longer ones are left to the
lexicons. Give it to a model trained on short texts (posts, messages) that has never seen a page.

-o DIR gets manifest.json and weights.bin.gz. Put DIR under <config>/models/ (one directory per
context) and the classifier loads it beside the lexicons; workers reload it when it changes.

Examples:
  spiderweb train --input ../shared/data/agora-dev.jsonl --label drug --group vendor \\
      --context marketplace -o config/models/marketplace
  spiderweb train --input ../shared/data/onion-dev.jsonl --label sale --context web -o config/models/web
  spiderweb train --input a.jsonl --input b.jsonl --group-files --label lead --max-chars 1000 \\
      --context web -o config/models/web
  spiderweb train --from-reviews --context web -o my-config/models/web
  spiderweb train --from-reviews --input posts.jsonl --label lead --context web -o my-config/models/web
  spiderweb train --input set-1.jsonl --input set-2.jsonl --label lead --group-files --folds 2 \\
      --by lang --oof oof.jsonl

--from-reviews with --input trains on both: the files' rows, then the reviewed leads whose text no
file holds, each reviewed site a group (or each page, with fewer sites than folds).`;

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('train')
    .description(
      'train the learned layer on labelled JSONL or on analysts\u2019 decisions; prints cross-validated figures',
    )
    .option('--input <file>', 'JSONL with a text field and a label field per line (repeatable)', collect)
    .option(
      '--label <field>',
      'the field holding the label (repeatable: a row\u2019s is the first it has)',
      collect,
    )
    .option('--positive <value>', 'label value counted as positive (repeatable; default: true)', collect)
    .option(
      '--negative <value>',
      'label value counted as negative (repeatable; default: every other value)',
      collect,
    )
    .option('--group <field>', 'rows with the same value of this field stay in one fold (vendor, site)')
    .option('--group-files', 'the rows of each --input file stay in one fold')
    .option('--max-chars <n>', 'the longest text the model judges; longer ones are left to the lexicons')
    .option('--context <kind>', 'web or marketplace: the site context the model serves', 'web')
    .option('-o, --out <dir>', 'directory to write the model to')
    .option(
      '--from-reviews',
      "the analysts' decisions in the store (confirmed/escalated vs dismissed), instead of or beside --input",
    )
    .option('--lexicons <dir>', 'lexicon directory (default: <config>/lexicons)')
    .option('--folds <n>', 'cross-validation folds', String(TRAIN_DEFAULTS.folds))
    .option('--seed <n>', 'seed for folds and example order', String(TRAIN_DEFAULTS.seed))
    .option('--bits <n>', 'hash buckets: 2^bits', String(TRAIN_DEFAULTS.bits))
    .option('--epochs <n>', 'passes over the data', String(TRAIN_DEFAULTS.epochs))
    .option(
      '--l2 <x>',
      "L2 penalty on the text model's weights (more: smoother, less fitted to single words)",
      String(TRAIN_DEFAULTS.l2),
    )
    .option('--json', 'print one JSON object')
    .option(
      '--by <field>',
      'also give the out-of-fold figures per value of this field of the rows (lang, site); reviewed leads: by site, else all as "(reviews)"',
    )
    .option('--oof <file>', "write each row's out-of-fold decision to this JSONL file")
    .addHelpText('after', HELP)
    .action(async (opts: TrainCliOptions, cmd: Command) => {
      const context = contextOption(opts.context);
      const folds = intOption('--folds', opts.folds, 2, 20);
      const seed = intOption('--seed', opts.seed, 0, 2 ** 31);
      const bits = intOption('--bits', opts.bits, 12, 24);
      const epochs = intOption('--epochs', opts.epochs, 1, 100);
      const l2 = opts.l2.trim() === '' ? Number.NaN : Number(opts.l2);
      if (!(l2 >= 0 && l2 <= 1)) throw new UsageError(`--l2 must be a number from 0 to 1, got "${opts.l2}"`);
      const maxChars =
        opts.maxChars === undefined ? undefined : intOption('--max-chars', opts.maxChars, 1, 2 ** 31);
      // Beside files, reviewed leads are one "(reviews)" group of any other field.
      if (opts.fromReviews && !opts.input) checkReviewsBy(opts.by);
      const config = await loadConfig(String(cmd.optsWithGlobals().config ?? 'config'));
      // The lexicon layer alone: the model learns on its evidence, not on an older model's.
      const lex = await loadLexicons(opts.lexicons ?? config.lexiconsDir, { models: false });
      const data = opts.fromReviews
        ? opts.input
          ? together(await fileData(opts), await reviewData(config, lex, context, folds, opts.by))
          : await reviewData(config, lex, context, folds, opts.by)
        : await fileData(opts);
      const started = performance.now();
      let result: TrainResult;
      try {
        result = train(data.rows, lex, {
          context,
          folds,
          seed,
          bits,
          epochs,
          l2,
          ...(maxChars === undefined ? {} : { maxChars }),
        });
      } catch (err) {
        throw new UsageError(`cannot train: ${(err as Error).message}`);
      }
      const ms = Math.round(performance.now() - started);
      const manifest = buildManifest(result, {
        context,
        bits,
        seed,
        epochs,
        l2,
        folds,
        lex,
        rows: data.rows,
        inputs: data.inputs,
        label: data.label,
        groups: data.groups,
        maxChars,
      });
      if (opts.out) await writeModel(opts.out, manifest, encodeWeights(result.weights));
      if (opts.oof) await writeOutOfFold(opts.oof, result, data);
      const by = opts.by === undefined ? undefined : groupFigures(opts.by, result, data);
      const summary = { out: opts.out ?? null, ms, ...manifest, ...(by ? { by } : {}) };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else
        process.stdout.write(
          `${formatTraining(manifest, ms, opts.out)}\n${by ? `\n${formatGroups(by)}\n` : ''}${opts.oof ? `out-of-fold decisions written to ${opts.oof}\n` : ''}`,
        );
    });
}

interface TrainData {
  rows: TrainRow[];
  /** Where each row came from (same order as `rows`), and its value of `--by`. */
  origins: Origin[];
  inputs: Array<{ name: string; sha256: string }>;
  label: string;
  groups: string;
}

interface Origin {
  /** The input file's name, or `reviews`. */
  input: string;
  /** Line in the file (null for a reviewed lead). */
  line: number | null;
  /** The row's `id`, or `#<lead id>` for a reviewed lead. */
  id: string | null;
  /** The row's value of `--by` (`(none)` without one). */
  value: string;
}

async function fileData(opts: TrainCliOptions): Promise<TrainData> {
  if (!opts.input || !opts.label)
    throw new UsageError('train needs --input <file> and --label <field>, or --from-reviews');
  if (opts.groupFiles && opts.input.length < 2)
    throw new UsageError('--group-files needs more than one --input file');
  const rows: TrainRow[] = [];
  const origins: Origin[] = [];
  const inputs: TrainData['inputs'] = [];
  const seen = new Set<string>();
  for (const file of opts.input) {
    const input = await readLabelled(file, opts.label, opts.positive, opts.negative);
    const name = basename(file);
    if (inputs.some((i) => i.name === name))
      throw new UsageError(`--input ${file}: a file named ${name} is already read`);
    inputs.push({ name, sha256: input.sha256 });
    const fresh = new Set<string>();
    let repeated = 0;
    for (const { line, row, text, label } of input.rows) {
      if (seen.has(text)) {
        repeated++;
        continue;
      }
      fresh.add(text);
      // --group's field first; with --group-files, rows without it take their file.
      let group: string;
      const g = opts.group ? row[opts.group] : undefined;
      if (g !== null && g !== undefined && g !== '') group = String(g);
      else if (opts.groupFiles) group = name;
      else if (opts.group)
        throw new UsageError(`${file}:${line}: field "${opts.group}" (--group) is missing`);
      else group = prefixGroup(text);
      const r: TrainRow = { text, label, group, input: name };
      if (typeof row.title === 'string') r.title = row.title;
      rows.push(r);
      origins.push({
        input: name,
        line,
        id: row.id === undefined || row.id === null ? null : String(row.id),
        value: fieldValue(opts.by === undefined ? undefined : row[opts.by]),
      });
    }
    for (const t of fresh) seen.add(t);
    if (repeated)
      process.stderr.write(`${file}: ${repeated} texts already read from an earlier --input skipped\n`);
  }
  const groups = opts.group
    ? opts.groupFiles
      ? `${opts.group}, else file`
      : opts.group
    : opts.groupFiles
      ? 'file'
      : 'text-prefix';
  return { rows, origins, inputs, label: opts.label.join(' or '), groups };
}

/** Files and reviews in one training set: a reviewed text already in a file counts once. */
function together(files: TrainData, reviews: TrainData): TrainData {
  const seen = new Set(files.rows.map((r) => r.text));
  const fresh = reviews.rows.map((r) => !seen.has(r.text));
  const rows = reviews.rows.filter((_, i) => fresh[i]).map((r) => ({ ...r, input: 'reviews' }));
  return {
    rows: [...files.rows, ...rows],
    origins: [...files.origins, ...reviews.origins.filter((_, i) => fresh[i])],
    inputs: [...files.inputs, ...reviews.inputs],
    label: `${files.label}; reviews: ${reviews.label}`,
    groups: `${files.groups}; reviews: ${reviews.groups}`,
  };
}

/** The first 80 letters and digits of the normalised text: mirrors and reposts share it. */
export function prefixGroup(text: string): string {
  return (normaliseText(text).text.match(/[\p{L}\p{N}]+/gu) ?? []).join('').slice(0, 80);
}

async function reviewData(
  config: Awaited<ReturnType<typeof loadConfig>>,
  lex: CompiledLexicons,
  context: SiteContext,
  folds: number,
  by: string | undefined,
): Promise<TrainData> {
  const store = await Store.open(config.runtime.store.url, config.runtime.dataDir);
  const siteKinds = new Map([...config.sites].map(([id, s]) => [id, s.kind] as const));
  try {
    const reviewed = (await reviewedLeads(store, lex, { siteKinds })).filter((r) => r.context === context);
    if (reviewed.length === 0)
      throw new UsageError(
        `no reviewed ${context} leads in ${store.location}: confirm or dismiss leads first`,
      );
    // Sites are the groups when there are enough of them; else each page is its own group.
    const sites = new Set(reviewed.map((r) => r.page.site_id));
    const bySite = sites.size >= folds;
    const rows = reviewed.map((r) => {
      const row: TrainRow = {
        text: r.text,
        label: r.positive,
        group: bySite ? r.page.site_id : String(r.pageId),
      };
      if (r.title) row.title = r.title;
      return row;
    });
    const digest = createHash('sha256');
    for (const r of reviewed) digest.update(`${r.leadId}:${r.status}\n`);
    const origins = reviewed.map((r) => ({
      input: 'reviews',
      line: null,
      id: `#${r.leadId}`,
      value: by === 'site' ? r.page.site_id : '(reviews)',
    }));
    return {
      rows,
      origins,
      inputs: [{ name: 'reviews', sha256: digest.digest('hex') }],
      label: 'status (confirmed|escalated vs dismissed)',
      groups: bySite ? 'site' : 'page',
    };
  } finally {
    await store.close();
  }
}

/** Out-of-fold figures per value of `--by` (most rows first): the lexicons alone and stacked. */
function groupFigures(field: string, r: TrainResult, data: TrainData) {
  const groups = oofBy(r.oof, (i) => data.origins[i]!.value)
    .map(({ key, lexicon, stacked }) => ({ value: key, lexicon, stacked }))
    .sort((a, b) => b.stacked.n - a.stacked.n || a.value.localeCompare(b.value));
  return { field, groups };
}

function formatGroups(by: ReturnType<typeof groupFigures>): string {
  const f = (x: number) => x.toFixed(3);
  const rows = by.groups.map((g) => [
    g.value,
    g.stacked.n,
    g.stacked.positives,
    f(g.lexicon.f1),
    f(g.stacked.precision),
    f(g.stacked.recall),
    f(g.stacked.f1),
  ]);
  const lines = table([by.field, 'rows', 'pos', 'lexicons F1', 'stacked P', 'R', 'F1'], rows).split('\n');
  return [`out-of-fold by ${by.field}:`, ...lines.map((l) => `  ${l}`)].join('\n');
}

/**
 * One JSONL line per training row: where it came from and what each layer decided for it
 * out-of-fold. Its directory is made as `-o`'s is.
 */
async function writeOutOfFold(file: string, r: TrainResult, data: TrainData): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const lines = r.oof.map((q, i) => {
    const o = data.origins[i]!;
    return JSON.stringify({
      input: o.input,
      line: o.line,
      id: o.id,
      group: q.group,
      fold: q.fold,
      label: q.label,
      lead: q.lead,
      p: q.stacked,
      pText: q.text,
      lexiconScore: q.lexiconScore,
      lexiconLead: q.lexiconLead,
      judged: q.judged,
    });
  });
  await writeFile(file, lines.length ? `${lines.join('\n')}\n` : '');
}

function buildManifest(
  r: TrainResult,
  o: {
    context: SiteContext;
    bits: number;
    seed: number;
    epochs: number;
    l2: number;
    folds: number;
    lex: CompiledLexicons;
    rows: TrainRow[];
    inputs: Array<{ name: string; sha256: string }>;
    label: string;
    groups: string;
    maxChars: number | undefined;
  },
): ModelManifest {
  const weights = encodeWeights(r.weights);
  const m: Omit<ModelManifest, 'version'> = {
    format: MODEL_FORMAT,
    context: o.context,
    created: new Date().toISOString(),
    bits: o.bits,
    seed: o.seed,
    epochs: o.epochs,
    l2: o.l2,
    bias: r.bias,
    stack: r.stack,
    threshold: r.threshold,
    lexiconVersion: o.lex.version,
    ...(o.maxChars === undefined ? {} : { maxChars: o.maxChars }),
    data: {
      inputs: o.inputs,
      label: o.label,
      rows: o.rows.length,
      positives: o.rows.filter((x) => x.label).length,
      groups: o.groups,
      folds: o.folds,
    },
    metrics: r.metrics,
    command: `spiderweb ${process.argv.slice(2).join(' ')}`,
  };
  return { ...m, version: modelVersion(weights, m) } as ModelManifest;
}

/** Writes the model files next to each other, each by rename, weights first (a reader never sees a manifest without its weights). */
async function writeModel(dir: string, manifest: ModelManifest, weights: Buffer): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'weights.bin.gz.tmp'), weights);
  await rename(join(dir, 'weights.bin.gz.tmp'), join(dir, 'weights.bin.gz'));
  await writeFile(join(dir, 'manifest.json.tmp'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'));
}

function line(name: string, m: BinaryMetrics): string {
  const f = (x: number) => x.toFixed(4);
  return `  ${name.padEnd(14)} P ${f(m.precision)}  R ${f(m.recall)}  F1 ${f(m.f1)}  PR-AUC ${f(m.prAuc)}`;
}

/** The negative class's precision, recall and F1, from the positive class's confusion counts. */
function negativeClass(m: BinaryMetrics): string {
  const { fp, fn, tn } = m.confusion;
  const p = tn + fn ? tn / (tn + fn) : 0;
  const r = tn + fp ? tn / (tn + fp) : 0;
  const f1 = p + r ? (2 * p * r) / (p + r) : 0;
  return `  ${'(negatives)'.padEnd(14)} P ${p.toFixed(4)}  R ${r.toFixed(4)}  F1 ${f1.toFixed(4)}`;
}

function formatTraining(m: ModelManifest, ms: number, out: string | undefined): string {
  const lines = [
    `${m.data.inputs.map((i) => i.name).join(', ')}  label ${m.data.label}  context ${m.context}  lexicons ${m.lexiconVersion}`,
    `rows ${m.data.rows} (positives ${m.data.positives})  ${m.data.folds} folds by ${m.data.groups}  seed ${m.seed}  ${ms} ms${m.maxChars === undefined ? '' : `  judges texts up to ${m.maxChars} characters`}`,
    '',
    'out-of-fold:',
    line('lexicons', m.metrics.lexicon),
    line('model alone', m.metrics.model),
    line('stacked', m.metrics.stacked),
    negativeClass(m.metrics.stacked),
    ...(m.metrics.inputs ?? []).flatMap((i) => [
      `  ${i.name}:`,
      line('  lexicons', i.lexicon),
      line('  stacked', i.stacked),
    ]),
    '',
    `stack: ${m.stack.model.toFixed(3)}·logit(p_text) + ${m.stack.lexicon.toFixed(3)}·lexicon score + ${m.stack.lexiconLead.toFixed(3)}·lexicon lead + ${m.stack.bias.toFixed(3)}   threshold ${m.threshold}`,
    `negative context vetoes: ${m.stack.veto === false ? 'no (it did worse out-of-fold; the model weighs it)' : 'yes'}`,
    `an innocent sense with no substance named vetoes: ${m.stack.innocent === false ? 'no (it did worse out-of-fold; the model weighs it)' : 'yes'}`,
    `the lexicons' recruitment is a lead whatever the model says: ${m.stack.recruitment === false ? 'no (it did worse out-of-fold; the model decides)' : choosesRecruitment(m.context) ? 'yes' : 'yes (always on a marketplace: listings are labelled by what they sell)'}`,
    '',
    'calibration (stacked, out-of-fold):',
    '  p range      rows  predicted  observed',
    ...m.metrics.calibration.map(
      (b) =>
        `  ${b.from.toFixed(1)}–${b.to.toFixed(1)}  ${String(b.n).padStart(8)}  ${b.predicted.toFixed(3).padStart(9)}  ${b.observed.toFixed(3).padStart(8)}`,
    ),
  ];
  if (m.metrics.stacked.f1 < m.metrics.lexicon.f1)
    lines.push(
      '',
      `warning: out-of-fold, the stacked layers (F1 ${m.metrics.stacked.f1.toFixed(4)}) do worse than the lexicons alone (${m.metrics.lexicon.f1.toFixed(4)}): more labelled rows are needed before this model helps; do not put it in config/models/`,
    );
  lines.push('', out ? `model ${m.version} written to ${out}` : `model ${m.version} (not written: no -o)`);
  return lines.join('\n');
}
