import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type CompiledLexicons, compileLexicons, lexiconFileSchema } from '../classify/index.ts';
import { ConfigError } from '../errors.ts';
import { parseYaml, yamlFiles } from './yaml.ts';

/**
 * A string that changes whenever a lexicon file of `dir` is added, removed or written (names, sizes,
 * modification times); null when the directory cannot be read. Cheap enough to poll every second.
 */
export async function lexiconDirFingerprint(dir: string): Promise<string | null> {
  try {
    const names = await yamlFiles(dir);
    const parts = await Promise.all(
      names.map(async (n) => {
        const s = await stat(join(dir, n));
        return `${n}:${s.size}:${s.mtimeMs}`;
      }),
    );
    return parts.join('|');
  } catch {
    return null;
  }
}

/** The text of every `*.yaml`/`*.yml` in `dir`, sorted by name (the order the files are merged in). */
export async function readLexiconDir(dir: string): Promise<Array<{ file: string; text: string }>> {
  let names: string[];
  try {
    names = await yamlFiles(dir);
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
