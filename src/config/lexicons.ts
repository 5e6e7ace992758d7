import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type CompiledLexicons, compileLexicons, lexiconFileSchema } from '../classify/index.ts';
import { ConfigError } from '../errors.ts';
import { readYamlFile } from './yaml.ts';

/** Reads every `*.yaml`/`*.yml` in `dir` (sorted by name), validates each, and compiles them into one matcher. */
export async function loadLexicons(dir: string): Promise<CompiledLexicons> {
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
  const files = [];
  for (const name of names) {
    const file = join(dir, name);
    files.push({ file, data: await readYamlFile(file, lexiconFileSchema) });
  }
  return compileLexicons(files);
}
