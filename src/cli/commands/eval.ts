import type { Command } from 'commander';
import {
  CATEGORIES,
  type Category,
  type Classification,
  type CompiledLexicons,
  classify,
  type EvalResult,
  type EvalRow,
  evaluate,
  evaluateBy,
  type GroupResult,
} from '../../classify/index.ts';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { Store } from '../../leads/index.ts';
import type { SiteKind } from '../../leads/index.ts';
import { reviewRows } from '../../leads/index.ts';
import { collect, table } from '../output.ts';
import {
  checkReviewsBy,
  contextOption,
  fieldValue,
  type LexiconCliOptions,
  lexiconsFor,
  NO_MODEL,
  readLabelled,
} from './classify.ts';

interface EvalCliOptions extends LexiconCliOptions {
  /** Required unless --from-reviews (checked in the action). */
  input: string;
  label: string;
  fromReviews?: boolean;
  site?: string[];
  positive?: string[];
  negative?: string[];
  predict?: string;
  categories?: string;
  json?: boolean;
  top?: string;
  by?: string;
}

const HELP = `
Labels: rows whose --label field is null or missing are skipped. A row is positive when
String(label) is one of --positive (default: true), negative when it is one of --negative;
without --negative every other labelled row is negative, with it rows matching neither are skipped.

What is predicted (--predict):
  lead      the classifier's lead decision; PR-AUC ranks by score (default for boolean labels)
  category  the classifier's category is one of --categories (default synthetic,nps); PR-AUC
            ranks by the share of substance weight in those categories. The default when every
            --positive value is a category name.

Examples:
  spiderweb eval --input ../shared/data/agora-dev.jsonl --label drug --context marketplace
  spiderweb eval --input ../shared/data/agora-dev.jsonl --label klass --positive synthetic \\
      --negative classic --context marketplace
  spiderweb eval --input ../shared/data/onion-dev.jsonl --label sale --json
  spiderweb eval --input test/fixtures/golden/cases.jsonl --label lead --by lang`;

export function register(program: Command): void {
  program
    .command('eval')
    .description(
      'measure the classifier on labelled JSONL: precision, recall, F1, PR-AUC, confusion matrix, and the terms behind false positives and negatives',
    )
    .option('--input <file>', 'JSONL file with a text field and a label field per line')
    .option('--label <field>', 'the field holding the label')
    .option('--positive <value>', 'label value counted as positive (repeatable; default: true)', collect)
    .option(
      '--negative <value>',
      'label value counted as negative (repeatable; default: every other value)',
      collect,
    )
    .option('--predict <what>', 'lead or category (see below)')
    .option(
      '--categories <list>',
      'with --predict category: categories that count as positive',
      'synthetic,nps',
    )
    .option('--context <kind>', 'web or marketplace (marketplace: every listing is an offer)', 'web')
    .option('--lexicons <dir>', 'lexicon directory (default: <config>/lexicons)')
    .option(...NO_MODEL)
    .option('--top <n>', 'how many terms to list for false positives and negatives', '15')
    .option('--json', 'print one JSON object')
    .option(
      '--from-reviews',
      "instead of --input: the analysts' decisions in the store (confirmed/escalated = positive, dismissed = negative)",
    )
    .option('--site <id>', 'with --from-reviews: only leads of this site (repeatable)', collect)
    .option(
      '--by <field>',
      'also give the figures per value of this field of the rows (lang, site, vendor); with --from-reviews: site',
    )
    .addHelpText('after', HELP)
    .action(async (opts: EvalCliOptions, cmd: Command) => {
      if (opts.fromReviews) return evalFromReviews(opts, cmd);
      if (!opts.input || !opts.label)
        throw new UsageError('eval needs --input <file> and --label <field>, or --from-reviews');
      const context = contextOption(opts.context);
      const positives = opts.positive ?? ['true'];
      const predictMode =
        opts.predict ??
        (positives.every((p) => (CATEGORIES as readonly string[]).includes(p)) ? 'category' : 'lead');
      if (predictMode !== 'lead' && predictMode !== 'category') {
        throw new UsageError(`--predict must be lead or category, got "${predictMode}"`);
      }
      const cats = new Set((opts.categories ?? 'synthetic,nps').split(',').map((s) => s.trim()));
      for (const c of cats) {
        if (!(CATEGORIES as readonly string[]).includes(c)) {
          throw new UsageError(`--categories: unknown category "${c}" (known: ${CATEGORIES.join(', ')})`);
        }
      }
      const top = Number(opts.top ?? 15);
      if (!Number.isInteger(top) || top < 0) throw new UsageError('--top must be a non-negative integer');
      const input = await readLabelled(opts.input, opts.label, positives, opts.negative);
      const lex = await lexiconsFor(cmd, opts);
      const started = performance.now();
      const rows = input.rows.map(({ row, text, label }) => {
        const classification = classify(
          text,
          lex,
          typeof row.title === 'string' ? { context, title: row.title } : { context },
        );
        const r: EvalRow = { label, classification };
        if (row.id !== undefined) r.id = String(row.id);
        return r;
      });
      const ms = performance.now() - started;
      const evalOpts =
        predictMode === 'lead' ? { topTerms: top } : categoryOptions(lex, cats as Set<Category>, top);
      const result = evaluate(rows, evalOpts);
      const by = opts.by;
      const groups =
        by === undefined
          ? undefined
          : evaluateBy(rows, (_r, i) => fieldValue(input.rows[i]!.row[by]), evalOpts);
      const meta = {
        input: opts.input,
        label: opts.label,
        predict: predictMode,
        context,
        skipped: input.skipped,
        lexiconVersion: lex.version,
        model: modelUse(rows),
        ms: Math.round(ms),
      };
      print(opts, result, meta, groups);
    });
}

function print(
  opts: EvalCliOptions,
  result: EvalResult,
  meta: Parameters<typeof formatResult>[1],
  groups: GroupResult[] | undefined,
): void {
  const by = groups && opts.by ? { field: opts.by, groups } : undefined;
  if (opts.json) process.stdout.write(`${JSON.stringify({ ...meta, ...result, ...(by ? { by } : {}) })}\n`);
  else
    process.stdout.write(
      `${formatResult(result, meta)}\n${by ? `\n${formatGroups(by.field, by.groups)}\n` : ''}`,
    );
}

/** One line per value of the `--by` field. */
function formatGroups(field: string, groups: readonly GroupResult[]): string {
  const rows = groups.map((g) => [
    g.value,
    g.n,
    g.positives,
    g.precision.toFixed(3),
    g.recall.toFixed(3),
    g.f1.toFixed(3),
    g.prAuc.toFixed(3),
    g.confusion.fp,
    g.confusion.fn,
  ]);
  const lines = table([field, 'rows', 'pos', 'P', 'R', 'F1', 'PR-AUC', 'FP', 'FN'], rows).split('\n');
  return [`by ${field}:`, ...lines.map((l) => `  ${l}`)].join('\n');
}

/** Which model judged how many rows (figures with a model trained on the rows are in-sample). */
function modelUse(rows: readonly EvalRow[]): string {
  const versions = new Map<string, number>();
  for (const r of rows) {
    const v = r.classification.model?.version;
    if (v !== undefined) versions.set(v, (versions.get(v) ?? 0) + 1);
  }
  if (versions.size === 0) return 'lexicons alone';
  return [...versions].map(([v, n]) => `model ${v} judged ${n} of ${rows.length}`).join(', ');
}

function categoryOptions(lex: CompiledLexicons, cats: Set<Category>, topTerms: number) {
  const categoryOf = new Map<string, Category | null>();
  for (const t of lex.terms) if (t.group === 'substance') categoryOf.set(t.term, t.category);
  const share = (c: Classification) => {
    const best = new Map<string, number>();
    for (const r of c.reasons)
      if (r.group === 'substance') best.set(r.term, Math.max(best.get(r.term) ?? 0, r.weight));
    let inCats = 0;
    let all = 0;
    for (const [t, w] of best) {
      all += w;
      const cat = categoryOf.get(t);
      if (cat && cats.has(cat)) inCats += w;
    }
    return all === 0 ? 0 : inCats / all;
  };
  return {
    predict: (c: Classification) => c.category !== null && cats.has(c.category),
    score: (c: Classification) => share(c) + c.score * 1e-3,
    topTerms,
  };
}

function pct(x: number): string {
  return x.toFixed(4);
}

function formatResult(
  r: EvalResult,
  meta: {
    input: string;
    label: string;
    predict: string;
    context: string;
    skipped: number;
    lexiconVersion: string;
    model: string;
    ms: number;
  },
): string {
  const { tp, fp, fn, tn } = r.confusion;
  const w = Math.max(String(tp).length, String(fp).length, String(fn).length, String(tn).length, 9);
  const pad = (x: number | string) => String(x).padStart(w);
  const lines = [
    `${meta.input}  label ${meta.label}  predict ${meta.predict}  context ${meta.context}  lexicons ${meta.lexiconVersion}`,
    `rows ${r.n} (positives ${r.positives}, skipped ${meta.skipped})  ${meta.model}  ${meta.ms} ms`,
    '',
    `precision ${pct(r.precision)}  recall ${pct(r.recall)}  F1 ${pct(r.f1)}  PR-AUC ${pct(r.prAuc)}  accuracy ${pct(r.accuracy)}`,
    '',
    `${''.padEnd(16)}${pad('pred +')} ${pad('pred -')}`,
    `${'actual +'.padEnd(16)}${pad(tp)} ${pad(fn)}`,
    `${'actual -'.padEnd(16)}${pad(fp)} ${pad(tn)}`,
    '',
    'terms behind false positives (rows):',
    ...(r.falsePositiveTerms.length
      ? r.falsePositiveTerms.map((t) => `  ${String(t.count).padStart(5)}  ${t.group}: ${t.term}`)
      : ['  -']),
    'terms in false negatives (rows):',
    ...(r.falseNegativeTerms.length
      ? r.falseNegativeTerms.map((t) => `  ${String(t.count).padStart(5)}  ${t.group}: ${t.term}`)
      : ['  -']),
  ];
  if (r.examples.falsePositives.length)
    lines.push(`false positives: ${r.examples.falsePositives.slice(0, 10).join(' ')}`);
  if (r.examples.falseNegatives.length)
    lines.push(`false negatives: ${r.examples.falseNegatives.slice(0, 10).join(' ')}`);
  return lines.join('\n');
}

/**
 * `eval --from-reviews`: the current lexicons against the analysts' decisions. Each reviewed lead's
 * page is classified again (same text and context rule as the workers); confirmed and escalated
 * leads are positives, dismissed ones negatives.
 */
async function evalFromReviews(opts: EvalCliOptions, cmd: Command): Promise<void> {
  const top = Number(opts.top ?? 15);
  if (!Number.isInteger(top) || top < 0) throw new UsageError('--top must be a non-negative integer');
  const predictMode = opts.predict ?? 'lead';
  if (predictMode !== 'lead' && predictMode !== 'category') {
    throw new UsageError(`--predict must be lead or category, got "${predictMode}"`);
  }
  checkReviewsBy(opts.by);
  const cats = new Set((opts.categories ?? 'synthetic,nps').split(',').map((s) => s.trim()));
  for (const c of cats) {
    if (!(CATEGORIES as readonly string[]).includes(c)) {
      throw new UsageError(`--categories: unknown category "${c}" (known: ${CATEGORIES.join(', ')})`);
    }
  }
  const config = await loadConfig(String(cmd.optsWithGlobals().config ?? 'config'));
  const lex = await lexiconsFor(cmd, opts);
  const siteKinds = new Map<string, SiteKind>([...config.sites].map(([id, s]) => [id, s.kind]));
  const store = await Store.open(config.runtime.store.url, config.runtime.dataDir);
  const started = performance.now();
  let rows: Array<EvalRow & { site: string }>;
  try {
    rows = await reviewRows(store, lex, { siteKinds, ...(opts.site?.length ? { siteIds: opts.site } : {}) });
  } finally {
    await store.close();
  }
  if (rows.length === 0) {
    throw new UsageError(`no reviewed leads in ${store.location}: confirm or dismiss leads first`);
  }
  const evalOpts =
    predictMode === 'lead' ? { topTerms: top } : categoryOptions(lex, cats as Set<Category>, top);
  const result = evaluate(rows, evalOpts);
  const groups = opts.by ? evaluateBy(rows, (r) => r.site, evalOpts) : undefined;
  const meta = {
    input: `reviews in ${store.location}`,
    label: 'status (confirmed|escalated vs dismissed)',
    predict: predictMode,
    context: 'per site',
    skipped: 0,
    lexiconVersion: lex.version,
    model: modelUse(rows),
    ms: Math.round(performance.now() - started),
  };
  print(opts, result, meta, groups);
}
