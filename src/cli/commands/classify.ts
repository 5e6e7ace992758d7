import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type CompiledLexicons, classify, type SiteContext } from '../../classify/index.ts';
import { loadConfig, loadLexicons, loadProposedLexicons } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';

/** Options shared by `classify`, `explain` and `eval`. */
export interface LexiconCliOptions {
  lexicons?: string;
  context?: string;
  /** false with `--no-model`: the lexicons alone. */
  model?: boolean;
}

/** `--no-model`, for the commands that classify. */
export const NO_MODEL = ['--no-model', 'the lexicons alone, without the learned model beside them'] as const;

/**
 * Loads the lexicons from `--lexicons DIR` (with its own `models/`, else the models in force: see
 * `loadProposedLexicons`), else the ones workers load (`<--config>/lexicons` or the bundled ones).
 */
export async function lexiconsFor(cmd: Command, opts: LexiconCliOptions): Promise<CompiledLexicons> {
  let current: string | undefined;
  try {
    current = (await loadConfig(cmd.optsWithGlobals().config)).lexiconsDir;
  } catch (err) {
    // With --lexicons, a config that does not load only means no models are lent.
    if (opts.lexicons === undefined) throw err;
  }
  const dir = opts.lexicons ?? current!;
  if (opts.model === false) return loadLexicons(dir, { models: false });
  return loadProposedLexicons(dir, current);
}

/** Validates `--context`. */
export function contextOption(value: string | undefined): SiteContext {
  const v = value ?? 'web';
  if (v !== 'web' && v !== 'marketplace')
    throw new UsageError(`--context must be web or marketplace, got "${v}"`);
  return v;
}

/** Reads a JSONL file into objects; a malformed line is a UsageError naming the file and line. */
export async function readJsonl(
  file: string,
): Promise<Array<{ line: number; row: Record<string, unknown> }>> {
  return parseJsonl(file, (await readInput(file)).toString('utf8'));
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function parseJsonl(file: string, text: string): Array<{ line: number; row: Record<string, unknown> }> {
  const rows: Array<{ line: number; row: Record<string, unknown> }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (err) {
      throw new UsageError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new UsageError(`${file}:${i + 1}: expected a JSON object`);
    }
    rows.push({ line: i + 1, row: row as Record<string, unknown> });
  }
  return rows;
}

/** A row of a labelled JSONL file: where it is, its fields, its text and its label. */
export interface LabelledRow {
  line: number;
  row: Record<string, unknown>;
  text: string;
  label: boolean;
}

/**
 * The labelled rows of a JSONL file (`eval` and `train`): rows whose `field` is null or missing are
 * skipped (with several fields, a row's label is the first of them it has); a row is positive when
 * String(label) is one of `positive` (default `true`), negative when one of `negative`; without
 * `negative` every other labelled row is negative, with it rows matching neither are skipped. Also
 * the file's sha256, for provenance.
 */
export async function readLabelled(
  file: string,
  field: string | readonly string[],
  positive: readonly string[] = ['true'],
  negative?: readonly string[],
): Promise<{ rows: LabelledRow[]; skipped: number; sha256: string }> {
  const bytes = await readInput(file);
  const positives = new Set(positive);
  const negatives = negative ? new Set(negative) : null;
  const rows: LabelledRow[] = [];
  let skipped = 0;
  const fields = typeof field === 'string' ? [field] : field;
  for (const { line, row } of parseJsonl(file, bytes.toString('utf8'))) {
    const value = row[fields.find((f) => f in row) ?? fields[0]!];
    const v = value === null || value === undefined ? null : String(value);
    const label = v !== null && positives.has(v);
    if (v === null || (!label && negatives && !negatives.has(v))) {
      skipped++;
      continue;
    }
    rows.push({ line, row, text: rowText(file, line, row), label });
  }
  if (rows.length === 0)
    throw new UsageError(
      `no rows of ${file} have a usable ${fields.map((f) => `"${f}"`).join(' or ')} label`,
    );
  return { rows, skipped, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A row's value of a `--by` field, as the name of its group (`(none)` when it has none). */
export function fieldValue(v: unknown): string {
  if (v === undefined || v === null || v === '') return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Refuses a `--by` field that reviewed leads lack: they have a site and nothing else to group by. */
export function checkReviewsBy(by: string | undefined): void {
  if (by !== undefined && by !== 'site')
    throw new UsageError(`--by with --from-reviews takes site (a lead's site), got "${by}"`);
}

/** The text of a row: `text`, with `title` prepended when present and not already in the text. */
export function rowText(file: string, line: number, row: Record<string, unknown>): string {
  if (typeof row.text !== 'string') throw new UsageError(`${file}:${line}: "text" must be a string`);
  return row.text;
}

export function register(program: Command): void {
  program
    .command('classify')
    .description(
      'classify texts from a JSONL file ({id, text[, title]} per line); prints one JSON line per input:\n' +
        '{id, lead, score, kind, category, substances, reasons[, model]}',
    )
    .requiredOption('--input <file>', 'JSONL file, one {id, text} object per line')
    .option('--context <kind>', 'web or marketplace (marketplace: every listing is an offer)', 'web')
    .option('--lexicons <dir>', 'lexicon directory (default: <config>/lexicons)')
    .option(...NO_MODEL)
    .action(async (opts: LexiconCliOptions & { input: string }, cmd: Command) => {
      const context = contextOption(opts.context);
      const rows = await readJsonl(opts.input);
      const lex = await lexiconsFor(cmd, opts);
      for (const { line, row } of rows) {
        const text = rowText(opts.input, line, row);
        const title = typeof row.title === 'string' ? row.title : undefined;
        const c = classify(text, lex, title === undefined ? { context } : { context, title });
        const { lead, score, kind, category, substances, reasons, model } = c;
        process.stdout.write(
          `${JSON.stringify({ id: row.id ?? null, lead, score, kind, category, substances, reasons, model })}\n`,
        );
      }
    });
}
