import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../../src/cli/commands/extract.ts';
import { UsageError } from '../../../src/errors.ts';

let dir: string;
let out: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spiderweb-extract-'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<Array<Record<string, unknown>>> {
  const program = new Command('spiderweb').exitOverride();
  register(program);
  await program.parseAsync(['node', 'spiderweb', 'extract', ...args]);
  return out
    .join('')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('spiderweb extract', () => {
  it('writes one line of identifiers per input line', async () => {
    const file = join(dir, 'pages.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ id: 'a', text: 'USDT TRC20 TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t, тг: mef_kz' }),
        '',
        JSON.stringify({ id: 2, text: 'ничего' }),
      ].join('\n'),
    );
    const lines = await run('--input', file);
    expect(lines).toEqual([
      {
        id: 'a',
        identifiers: [
          {
            type: 'tron',
            value: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
            span: [11, 45],
            validated: 'base58check',
            deobfuscated: false,
          },
          { type: 'telegram', value: 'mef_kz', span: [51, 57], validated: 'syntax', deobfuscated: true },
        ],
      },
      { id: 2, identifiers: [] },
    ]);
  });

  it('scans pasted text', async () => {
    const [line] = await run('--text', 'пиши @mef_shop');
    expect(line).toEqual({
      id: null,
      identifiers: [
        { type: 'telegram', value: 'mef_shop', span: [5, 14], validated: 'syntax', deobfuscated: false },
      ],
    });
  });

  it('names the file and line of a malformed JSONL line', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `${JSON.stringify({ id: 1, text: 'ok' })}\n{"id": 2, "text": \n`);
    const err = await run('--input', file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(`${file}:2`);
  });

  it('rejects a line without a text field', async () => {
    const file = join(dir, 'notext.jsonl');
    writeFileSync(file, `${JSON.stringify({ id: 1, body: 'x' })}\n`);
    await expect(run('--input', file)).rejects.toThrow(`${file}:1: field "text" must be a string`);
  });

  it('needs exactly one of --input and --text', async () => {
    await expect(run()).rejects.toBeInstanceOf(UsageError);
    await expect(run('--input', 'a', '--text', 'b')).rejects.toBeInstanceOf(UsageError);
  });

  it('reports a missing file as a usage error', async () => {
    await expect(run('--input', join(dir, 'nope.jsonl'))).rejects.toBeInstanceOf(UsageError);
  });
});
