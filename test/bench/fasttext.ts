/**
 * Our own sparse text model against fastText (the `fasttext.wasm.js` WebAssembly build), on the
 * same folds, the same text and the same decisions.
 *
 * Rows are read as `spiderweb train` reads them (`readLabelled`, `--group` or the text prefix) and
 * split into the folds `train()` uses (`assignFolds`, same `--folds` and `--seed`). For each fold,
 * both candidates are trained on the other folds and predict the held-out one:
 *
 * - **ours**: `train()` (the repo's trainer: featurises, cross-validates inside for its stacker,
 *   fits the final logistic regression), then `TextModel.score` on the held-out rows;
 * - **fastText**: a supervised softmax classifier trained in-process (one thread) on the folded
 *   tokens the featuriser reads (`allTokens` of the lexicon layer, each `foldKey`ed, joined by
 *   spaces); `--ft key=value,...` sets its arguments (repeat for several settings).
 *
 * "alone" decides at p_text ≥ 0.5. "stacked" is each candidate's p_text stacked with the lexicon
 * score and decision exactly as `train()` reports it (a stacker per fold fitted on the other folds'
 * out-of-fold predictions, then the lexicons' recruitment and veto rules). Speed: training time per
 * fold (ours includes its inner cross-validation), titles (rows) per second on one core for the
 * model alone on prepared input and end to end (lexicon layer + folding + model), CPU time. Size:
 * the model file as written (ours: `weights.bin.gz`; fastText: `saveModel`), and the RSS that
 * loading it and scoring every row adds, measured in a child process per candidate; model files
 * go under os.tmpdir() and are removed.
 *
 *   npx tsx test/bench/fasttext.ts --input ../shared/data/agora-dev.jsonl --label drug --group vendor \
 *       --context marketplace
 *   npx tsx test/bench/fasttext.ts --input ../shared/data/onion-dev.jsonl --label sale --group group --context web
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFastTextModule } from 'fasttext.wasm.js';
import {
  type BinaryMetrics,
  type CompiledLexicons,
  classify,
  decodeWeights,
  encodeWeights,
  type LexiconLayer,
  lexiconLayer,
  type ModelManifest,
  modelVersion,
  type SiteContext,
  TextModel,
  TRAIN_DEFAULTS,
  type TrainRow,
  train,
} from '../../src/classify/index.ts';
import { allTokens, decide, lexiconFeatures } from '../../src/classify/model/combine.ts';
import { foldKey } from '../../src/classify/model/features.ts';
import { stacked } from '../../src/classify/model/model.ts';
import { assignFolds, binaryMetrics, fitStacker } from '../../src/classify/model/train.ts';
import { readLabelled } from '../../src/cli/commands/classify.ts';
import { prefixGroup } from '../../src/cli/commands/train.ts';
import { loadLexicons } from '../../src/config/index.ts';

const args = process.argv.slice(2);
const argOf = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const argsOf = (name: string) =>
  args.flatMap((a, i) => (a === name && args[i + 1] !== undefined ? [args[i + 1]!] : []));
const lexDir = join(import.meta.dirname, '../../config/lexicons');
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

// fastText's arguments (see fastText's `Args`); --ft overrides them.
const FT_DEFAULTS: Record<string, number> = {
  dim: 50,
  epoch: 25,
  lr: 0.5,
  wordNgrams: 2,
  minn: 2,
  maxn: 5,
  minCount: 1,
  bucket: 1 << 20,
  seed: 1,
};

type FtModule = Awaited<ReturnType<typeof getFastTextModule>>;
interface FtVector<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}
/** The embind class behind `new module.FastText()` (the package types only part of it). */
interface FtCore {
  train(args: unknown, progress: (...a: number[]) => void): void;
  predict(text: string, k: number, threshold: number): FtVector<[number, string]>;
  saveModel(file: string): void;
  loadModel(file: string): void;
  delete(): void;
}

interface FtTrained {
  mod: FtModule;
  ft: FtCore;
  /** CPU time of the training call. */
  cpuMs: number;
}

const TRAIN_FILE = '/train.txt';
const MODEL_FILE = '/model.bin';

/**
 * Trains a supervised fastText classifier in a fresh module instance's in-memory file system. A
 * second training in one instance can throw (an uncaught C++ exception, a bare pointer, in 1.0.0);
 * a fresh instance per model does not, and the old one's memory goes with it.
 */
async function ftTrain(lines: readonly string[], o: Record<string, number>): Promise<FtTrained> {
  const mod = await getFastTextModule();
  mod.FS.writeFile(TRAIN_FILE, `${lines.join('\n')}\n`);
  const a = new mod.Args();
  for (const [k, v] of Object.entries(o)) a[k] = v;
  a.model = mod.ModelName.supervised;
  a.loss = mod.LossName.softmax;
  a.thread = 1;
  a.verbose = 0;
  a.input = TRAIN_FILE;
  const ft = new mod.FastText() as unknown as FtCore;
  const c = process.cpuUsage();
  // The binding calls the progress callback unconditionally: it must be a function.
  ft.train(a, () => {});
  const used = process.cpuUsage(c);
  a.delete();
  mod.FS.unlink(TRAIN_FILE);
  return { mod, ft, cpuMs: (used.user + used.system) / 1000 };
}

/** P(positive) of one text; a text with no known word or n-gram gets no prediction: 0. */
function ftProbability(ft: FtCore, text: string): number {
  const v = ft.predict(text, 2, 0);
  let p = 0;
  for (let i = 0; i < v.size(); i++) {
    const [prob, label] = v.get(i);
    if (label === '__label__1') p = prob;
  }
  v.delete();
  return p;
}

/** The folded tokens of a text, as the featuriser reads them, joined by spaces. */
function foldedText(layer: LexiconLayer): string {
  return allTokens(layer)
    .map((t) => foldKey(t.text))
    .join(' ');
}

function parseFt(spec: string): Record<string, number> {
  const o = { ...FT_DEFAULTS };
  for (const kv of spec.split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (!k || v === undefined || !(k in FT_DEFAULTS) || !Number.isFinite(Number(v)))
      throw new Error(`--ft: "${kv}" is not one of ${Object.keys(FT_DEFAULTS).join(', ')}=number`);
    o[k] = Number(v);
  }
  return o;
}

const ftLabel = (o: Record<string, number>) =>
  `fastText dim ${o.dim} ep ${o.epoch} lr ${o.lr} ng ${o.wordNgrams} n ${o.minn}-${o.maxn} bkt 2^${Math.log2(o.bucket!).toFixed(0)}`;

/** CPU (this process, ms) and wall time of `fn`, best of `runs` after one warm-up run. */
function timed(runs: number, fn: () => void): { cpuMs: number; wallMs: number } {
  fn();
  let cpuMs = Number.POSITIVE_INFINITY;
  let wallMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const c = process.cpuUsage();
    const w = performance.now();
    fn();
    const used = process.cpuUsage(c);
    wallMs = Math.min(wallMs, performance.now() - w);
    cpuMs = Math.min(cpuMs, (used.user + used.system) / 1000);
  }
  return { cpuMs, wallMs };
}

// ---- child mode: RSS after reading the rows, with or without one candidate's model loaded and
// scoring every row (the RSS a model adds is the difference) ----
if (argOf('--rss-child')) {
  const kind = argOf('--rss-child');
  const model = argOf('--model');
  const texts = JSON.parse(readFileSync(argOf('--texts')!, 'utf8')) as string[];
  const context = argOf('--context') as SiteContext;
  let s = 0;
  if (kind === 'ours') {
    const lex = await loadLexicons(lexDir, { models: false });
    const layers = texts.map((t) => lexiconLayer(t, lex, { context }));
    if (model) {
      const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')) as ModelManifest;
      const weights = decodeWeights(readFileSync(join(model, 'weights.bin.gz')), manifest.bits);
      const m = new TextModel(manifest, weights);
      for (const l of layers) s += m.score(allTokens(l), lexiconFeatures(l.classification));
    }
    s += layers.length;
  } else if (model) {
    const mod = await getFastTextModule();
    mod.FS.writeFile(MODEL_FILE, readFileSync(model));
    const ft = new mod.FastText() as unknown as FtCore;
    ft.loadModel(MODEL_FILE);
    mod.FS.unlink(MODEL_FILE);
    for (const t of texts) s += ftProbability(ft, t);
  }
  globalThis.gc?.();
  process.stdout.write(`${JSON.stringify({ rss: process.memoryUsage().rss, s })}\n`);
  process.exit(0);
}

// ---- the comparison ----
const input = argOf('--input');
const label = argOf('--label');
if (!input || !label)
  throw new Error(
    'usage: fasttext.ts --input FILE --label FIELD [--group FIELD] [--context web|marketplace] [--folds N] [--seed N] [--runs N] [--ft key=value,...]...',
  );
const groupField = argOf('--group');
const context = (argOf('--context') ?? 'web') as SiteContext;
const folds = Number(argOf('--folds') ?? TRAIN_DEFAULTS.folds);
const seed = Number(argOf('--seed') ?? TRAIN_DEFAULTS.seed);
const runs = Number(argOf('--runs') ?? 3);
const ftSettings = (argsOf('--ft').length ? argsOf('--ft') : ['']).map(parseFt);

// The rows as `spiderweb train` reads them.
const labelled = await readLabelled(input, label);
const rows: TrainRow[] = labelled.rows.map(({ line, row, text, label }) => {
  let group: string;
  if (groupField) {
    const g = row[groupField];
    if (g === null || g === undefined || g === '') throw new Error(`${input}:${line}: no "${groupField}"`);
    group = String(g);
  } else group = prefixGroup(text);
  const r: TrainRow = { text, label, group };
  if (typeof row.title === 'string') r.title = row.title;
  return r;
});
const fold = assignFolds(
  rows.map((r) => r.group),
  folds,
  seed,
);
const lex: CompiledLexicons = await loadLexicons(lexDir, { models: false });
const layerOf = (r: TrainRow) =>
  lexiconLayer(r.text, lex, r.title ? { context, title: r.title } : { context });
const layers = rows.map(layerOf);
const folded = layers.map(foldedText);
const n = rows.length;
const positives = rows.filter((r) => r.label).length;

process.stdout.write(
  `${input}: ${n} rows (${positives} positive, ${labelled.skipped} skipped), ${new Set(rows.map((r) => r.group)).size} groups by ${groupField ?? 'text prefix'}, ${folds} folds (seed ${seed}), context ${context}, node ${process.version}\n`,
);

interface Candidate {
  name: string;
  pText: number[];
  trainMs: number[];
  /** Rows/s on one core (CPU time): model alone on prepared input, end to end. */
  modelRate: number;
  endRate: number;
  fileBytes: number;
  rssBytes: number;
}

/** The out-of-fold stacked decision, as `train()` reports it. */
function stackedLeads(
  pText: readonly number[],
): Array<{ label: boolean; predicted: boolean; score: number }> {
  const out = new Array<{ label: boolean; predicted: boolean; score: number }>(n);
  const points = rows.map((r, i) => ({
    pText: pText[i]!,
    lexScore: layers[i]!.classification.score,
    lexLead: layers[i]!.classification.lead,
    y: r.label ? 1 : 0,
  }));
  for (let k = 0; k < folds; k++) {
    const s = fitStacker(points, layers, TRAIN_DEFAULTS.threshold, (i) => fold[i] !== k, context);
    rows.forEach((r, i) => {
      if (fold[i] !== k) return;
      const q = points[i]!;
      const p = stacked(s, q.pText, q.lexScore, q.lexLead);
      out[i] = {
        label: r.label,
        predicted: decide(layers[i]!, p, TRAIN_DEFAULTS.threshold, s).lead,
        score: p,
      };
    });
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'spiderweb-fasttext-'));
const textsFile = join(tmp, 'texts.json');
const foldedFile = join(tmp, 'folded.json');
writeFileSync(textsFile, JSON.stringify(rows.map((r) => r.text)));
writeFileSync(foldedFile, JSON.stringify(folded));

/** RSS (median of 3 child processes each way) with the model loaded and scoring every row, minus without. */
function childRss(kind: 'ours' | 'fasttext', model: string): number {
  const rss = (withModel: boolean) => {
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        ...process.execArgv,
        import.meta.filename,
        '--rss-child',
        kind,
        ...(withModel ? ['--model', model] : []),
        '--texts',
        kind === 'ours' ? textsFile : foldedFile,
        '--context',
        context,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`RSS child (${kind}) failed: ${r.stderr}`);
    return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { rss: number }).rss;
  };
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  return median([rss(true), rss(true), rss(true)]) - median([rss(false), rss(false), rss(false)]);
}

const candidates: Candidate[] = [];
try {
  // Ours: the repo's trainer on the other folds, TextModel on the held-out fold.
  {
    const pText = new Array<number>(n).fill(0);
    const trainMs: number[] = [];
    let last: { manifest: ModelManifest; weights: Float32Array } | undefined;
    for (let k = 0; k < folds; k++) {
      const fit = rows.filter((_, i) => fold[i] !== k);
      const c = process.cpuUsage();
      const t = train(fit, lex, { context, folds, seed });
      const used = process.cpuUsage(c);
      trainMs.push((used.user + used.system) / 1000);
      const manifest = {
        bits: TRAIN_DEFAULTS.bits,
        bias: t.bias,
        stack: t.stack,
        threshold: t.threshold,
        context,
      } as ModelManifest;
      manifest.version = modelVersion(encodeWeights(t.weights), manifest);
      const m = new TextModel(manifest, t.weights);
      rows.forEach((_, i) => {
        if (fold[i] === k)
          pText[i] = m.score(allTokens(layers[i]!), lexiconFeatures(layers[i]!.classification));
      });
      last = { manifest, weights: t.weights };
    }
    // Speed and size of the last fold's model (trained on (folds-1)/folds of the rows).
    const { manifest, weights } = last!;
    const m = new TextModel(manifest, weights);
    const lexFeatures = layers.map((l) => lexiconFeatures(l.classification));
    const tokens = layers.map(allTokens);
    const model = timed(runs, () => {
      for (let i = 0; i < n; i++) m.score(tokens[i]!, lexFeatures[i]!);
    });
    const withModel: CompiledLexicons = { ...lex, models: { [context]: m } };
    const end = timed(runs, () => {
      for (const r of rows) classify(r.text, withModel, r.title ? { context, title: r.title } : { context });
    });
    const gz = encodeWeights(weights);
    const dir = join(tmp, 'ours');
    mkdirSync(dir);
    writeFileSync(join(dir, 'weights.bin.gz'), gz);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    candidates.push({
      name: `ours (logistic, 2^${TRAIN_DEFAULTS.bits} buckets)`,
      pText,
      trainMs,
      modelRate: (n / model.cpuMs) * 1000,
      endRate: (n / end.cpuMs) * 1000,
      fileBytes: gz.length,
      rssBytes: childRss('ours', dir),
    });
  }

  // fastText: one model per fold per setting, on the folded tokens.
  for (const o of ftSettings) {
    const pText = new Array<number>(n).fill(0);
    const trainMs: number[] = [];
    let last: FtTrained | undefined;
    for (let k = 0; k < folds; k++) {
      last?.ft.delete();
      const lines = rows.flatMap((r, i) =>
        fold[i] !== k ? [`__label__${r.label ? 1 : 0} ${folded[i]}`] : [],
      );
      const t = await ftTrain(lines, o);
      trainMs.push(t.cpuMs);
      rows.forEach((_, i) => {
        if (fold[i] === k) pText[i] = ftProbability(t.ft, folded[i]!);
      });
      last = t;
    }
    const { mod, ft } = last!;
    const model = timed(runs, () => {
      for (let i = 0; i < n; i++) ftProbability(ft, folded[i]!);
    });
    const end = timed(runs, () => {
      for (const r of rows) ftProbability(ft, foldedText(layerOf(r)));
    });
    ft.saveModel(MODEL_FILE);
    const bytes = mod.FS.readFile(MODEL_FILE);
    mod.FS.unlink(MODEL_FILE);
    ft.delete();
    const file = join(tmp, 'fasttext.bin');
    writeFileSync(file, bytes);
    candidates.push({
      name: ftLabel(o),
      pText,
      trainMs,
      modelRate: (n / model.cpuMs) * 1000,
      endRate: (n / end.cpuMs) * 1000,
      fileBytes: bytes.length,
      rssBytes: childRss('fasttext', file),
    });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// ---- report ----
const lexMetrics = binaryMetrics(
  rows.map((r, i) => ({
    label: r.label,
    predicted: layers[i]!.classification.lead,
    score: layers[i]!.classification.score,
  })),
);
const f = (x: number) => x.toFixed(4);
const metricLine = (name: string, m: BinaryMetrics) =>
  `  ${name.padEnd(60)} P ${f(m.precision)}  R ${f(m.recall)}  F1 ${f(m.f1)}  PR-AUC ${f(m.prAuc)}  (tp ${m.confusion.tp} fp ${m.confusion.fp} fn ${m.confusion.fn})`;
const lines = ['', 'out-of-fold, decided at p_text ≥ 0.5 (alone) and stacked with the lexicons:'];
lines.push(metricLine('lexicons alone', lexMetrics));
for (const c of candidates) {
  const alone = binaryMetrics(
    c.pText.map((p, i) => ({ label: rows[i]!.label, predicted: p >= 0.5, score: p })),
  );
  lines.push(metricLine(`${c.name}, alone`, alone));
  lines.push(metricLine(`${c.name}, stacked`, binaryMetrics(stackedLeads(c.pText))));
}
lines.push(
  '',
  `speed (CPU time of this process: training per fold; rows/s, best of ${runs}) and size (last fold's model):`,
  `  ${'candidate'.padEnd(60)} ${'train/fold'.padStart(10)} ${'model rows/s'.padStart(13)} ${'end-to-end/s'.padStart(13)} ${'file'.padStart(9)} ${'RSS added'.padStart(10)}`,
);
for (const c of candidates) {
  const mean = c.trainMs.reduce((s, x) => s + x, 0) / c.trainMs.length;
  lines.push(
    `  ${c.name.padEnd(60)} ${`${Math.round(mean)} ms`.padStart(10)} ${Math.round(c.modelRate).toString().padStart(13)} ${Math.round(c.endRate).toString().padStart(13)} ${mb(c.fileBytes).padStart(9)} ${mb(c.rssBytes).padStart(10)}`,
  );
}
lines.push(
  '',
  `ours' training time is train() on ${folds - 1} folds: featurising, its own ${folds}-fold cross-validation for the stacker, and the final fit (${folds + 1} fits); fastText's is one fit.`,
);
process.stdout.write(`${lines.join('\n')}\n`);
