import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { UsageError, errorMessage } from '../../errors.ts';
import { extractIdentifiers } from '../../extract/identifiers/index.ts';

interface ExtractOptions {
  input?: string;
  text?: string;
}

/**
 * `spiderweb extract --input FILE.jsonl` reads `{"id", "text"}` lines and writes one
 * `{"id", "identifiers": [{type, value, span, validated, deobfuscated}]}` line per input line;
 * `spiderweb extract --text "..."` does the same for pasted text (`id` is null). `--input -` reads stdin.
 */
export function register(program: Command): void {
  program
    .command('extract')
    .description('find payment and contact identifiers (wallets, cards, phones, handles) in text')
    .option('-i, --input <file>', 'JSONL file of {"id", "text"} lines ("-" for stdin)')
    .option('-t, --text <text>', 'text to scan, e.g. pasted from a page')
    .addHelpText(
      'after',
      '\nExamples:\n  spiderweb extract --text "USDT TRC20 TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t, тг: mef_kz"\n' +
        '  spiderweb extract --input pages.jsonl > identifiers.jsonl\n',
    )
    .action(async (opts: ExtractOptions) => {
      if ((opts.input === undefined) === (opts.text === undefined)) {
        throw new UsageError('extract: give exactly one of --input FILE.jsonl or --text "..."');
      }
      if (opts.text !== undefined) {
        await writeLine({ id: null, identifiers: extractIdentifiers(opts.text) });
        return;
      }
      await extractFile(opts.input ?? '-');
    });
}

async function extractFile(file: string): Promise<void> {
  if (file !== '-') {
    try {
      await access(file);
    } catch (err) {
      throw new UsageError(`extract: cannot read ${file}: ${errorMessage(err)}`);
    }
  }
  const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let docs = 0;
  let found = 0;
  const started = Date.now();
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const { id, text } = parseLine(file, lineNo, line);
    const identifiers = extractIdentifiers(text);
    docs++;
    found += identifiers.length;
    await writeLine({ id, identifiers });
    if (docs % 1000 === 0) process.stderr.write(`extract: ${docs} documents, ${found} identifiers\n`);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`extract: ${docs} documents, ${found} identifiers in ${secs}s\n`);
}

function parseLine(file: string, lineNo: number, line: string): { id: string | number | null; text: string } {
  const where = `${file === '-' ? 'stdin' : file}:${lineNo}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new UsageError(`${where}: not valid JSON (${errorMessage(err)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${where}: expected an object {"id", "text"}`);
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec['text'] !== 'string') throw new UsageError(`${where}: field "text" must be a string`);
  const id = rec['id'];
  if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') {
    throw new UsageError(`${where}: field "id" must be a string or a number`);
  }
  return { id: id ?? null, text: rec['text'] };
}

/** One JSON line on stdout, waiting for the pipe to drain when it is full. */
function writeLine(obj: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = process.stdout.write(`${JSON.stringify(obj)}\n`, (err) => {
      if (err) reject(err);
    });
    if (ok) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}
