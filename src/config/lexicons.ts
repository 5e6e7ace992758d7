import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CompiledLexicons, compileLexicons, lexiconFileSchema } from '../classify/index.ts';
import { ConfigError } from '../errors.ts';
import { parseYaml } from './yaml.ts';

/** The text of every `*.yaml`/`*.yml` in `dir`, sorted by name (the order the files are merged in). */
export async function readLexiconDir(dir: string): Promise<Array<{ file: string; text: string }>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    throw new ConfigError(
      dir,
      `cannot read lexicon directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if (names.length === 0) throw new ConfigError(dir, 'no lexicon files (*.yaml) found');
  return Promise.all(
    names.map(async (n) => ({ file: join(dir, n), text: await readFile(join(dir, n), 'utf8') })),
  );
}

/** Reads every lexicon file in `dir`, validates each, and compiles them into one matcher. */
export async function loadLexicons(dir: string): Promise<CompiledLexicons> {
  const inputs = await readLexiconDir(dir);
  return compileLexicons(
    inputs.map(({ file, text }) => ({ file, data: parseYaml(file, text, lexiconFileSchema) })),
  );
}
