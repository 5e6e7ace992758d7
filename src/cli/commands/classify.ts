import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type CompiledLexicons, classify, type SiteContext } from '../../classify/index.ts';
import { loadConfig, loadLexicons } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';

/** Options shared by `classify`, `explain` and `eval`. */
export interface LexiconCliOptions {
  lexicons?: string;
  context?: string;
}

/** Loads the lexicons from `--lexicons DIR`, else the ones workers load (`<--config>/lexicons` or the bundled ones). */
export async function lexiconsFor(cmd: Command, opts: LexiconCliOptions): Promise<CompiledLexicons> {
  return loadLexicons(opts.lexicons ?? (await loadConfig(cmd.optsWithGlobals().config)).lexiconsDir);
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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
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
        '{id, lead, score, kind, category, substances, reasons}',
    )
    .requiredOption('--input <file>', 'JSONL file, one {id, text} object per line')
    .option('--context <kind>', 'web or marketplace (marketplace: every listing is an offer)', 'web')
    .option('--lexicons <dir>', 'lexicon directory (default: <config>/lexicons)')
    .action(async (opts: LexiconCliOptions & { input: string }, cmd: Command) => {
      const context = contextOption(opts.context);
      const rows = await readJsonl(opts.input);
      const lex = await lexiconsFor(cmd, opts);
      for (const { line, row } of rows) {
        const text = rowText(opts.input, line, row);
        const title = typeof row.title === 'string' ? row.title : undefined;
        const c = classify(text, lex, title === undefined ? { context } : { context, title });
        const { lead, score, kind, category, substances, reasons } = c;
        process.stdout.write(
          `${JSON.stringify({ id: row.id ?? null, lead, score, kind, category, substances, reasons })}\n`,
        );
      }
    });
}
