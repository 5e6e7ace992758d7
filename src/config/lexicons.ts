import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type CompiledLexicons,
  compileLexicons,
  decodeWeights,
  lexiconFileSchema,
  type ModelManifest,
  manifestSchema,
  modelVersion,
  type SiteContext,
  type SparseWeights,
  TextModel,
} from '../classify/index.ts';
import { ConfigError, errorMessage } from '../errors.ts';
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
    return [...parts, ...(await modelsFingerprint(modelsDirOf(dir)))].join('|');
  } catch {
    return null;
  }
}

/** The sub-directories of a models directory (one model each), sorted; throws when `dir` can't be read. */
async function modelDirs(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Names, sizes and times of the model files (none when there is no models directory). */
async function modelsFingerprint(dir: string): Promise<string[]> {
  let subs: string[];
  try {
    subs = await modelDirs(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const sub of subs) {
    for (const f of ['manifest.json', 'weights.bin.gz']) {
      try {
        const s = await stat(join(dir, sub, f));
        out.push(`models/${sub}/${f}:${s.size}:${s.mtimeMs}`);
      } catch {
        out.push(`models/${sub}/${f}:-`);
      }
    }
  }
  return out;
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

/**
 * Reads every lexicon file in `dir`, validates each, and compiles them into one matcher, with the
 * learned models of the sibling `models/` directory (unless `models: false`). With models, the
 * version names both: a new model is a new classifier, as a new lexicon is.
 */
export async function loadLexicons(
  dir: string,
  opts: { models?: boolean; modelsDir?: string } = {},
): Promise<CompiledLexicons> {
  const inputs = await readLexiconDir(dir);
  const lex = compileLexicons(
    inputs.map(({ file, text }) => ({ file, data: parseYaml(file, text, lexiconFileSchema) })),
  );
  if (opts.models === false) return lex;
  const models = await loadModels(opts.modelsDir ?? modelsDirOf(dir));
  const versions = Object.values(models).map((m) => m.manifest.version);
  if (versions.length === 0) return lex;
  const version = createHash('sha256')
    .update([lex.version, ...versions].join('+'))
    .digest('hex')
    .slice(0, 12);
  return { ...lex, version, models };
}

/**
 * Proposed lexicons as they would run in place of `currentDir`'s: with the proposal's own sibling
 * `models/` where it has one, else with the models in force (editing the lexicons in place keeps
 * them), so a what-if shows what the lexicon change does, not what dropping the models would.
 */
export async function loadProposedLexicons(
  dir: string,
  currentDir: string | undefined,
): Promise<CompiledLexicons> {
  const own = modelsDirOf(dir);
  if (currentDir === undefined || (await stat(own).catch(() => null)) !== null) return loadLexicons(dir);
  return loadLexicons(dir, { modelsDir: modelsDirOf(currentDir) });
}

/** The `models/` directory that goes with a lexicon directory: its sibling. */
export function modelsDirOf(lexiconsDir: string): string {
  return join(dirname(lexiconsDir), 'models');
}

/**
 * Reads every model under `dir` (one sub-directory each, with `manifest.json` and `weights.bin.gz`),
 * by context. No directory means no model. A malformed manifest or weights file, or two models for one
 * context, is a `ConfigError` naming the file.
 */
export async function loadModels(dir: string): Promise<Partial<Record<SiteContext, TextModel>>> {
  let names: string[];
  try {
    names = await modelDirs(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(
      dir,
      `cannot read model directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const out: Partial<Record<SiteContext, TextModel>> = {};
  const from: Partial<Record<SiteContext, string>> = {};
  for (const name of names) {
    const file = join(dir, name, 'manifest.json');
    if (!existsSync(file)) continue;
    const model = await readModel(join(dir, name));
    const ctx = model.manifest.context;
    if (from[ctx])
      throw new ConfigError(file, `a second model for context "${ctx}" (the first is ${from[ctx]})`, {
        field: 'context',
      });
    from[ctx] = file;
    out[ctx] = model;
  }
  return out;
}

/** Reads one model directory. */
export async function readModel(dir: string): Promise<TextModel> {
  const file = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      file,
      err instanceof SyntaxError ? `not JSON: ${err.message}` : `cannot read: ${String(err)}`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(file, issue.message, { field: issue.path.join('.') });
  }
  const weightsFile = join(dir, 'weights.bin.gz');
  let weights: SparseWeights;
  try {
    const bytes = await readFile(weightsFile);
    const version = modelVersion(bytes, parsed.data);
    if (version !== parsed.data.version)
      throw new Error(`its content hash is ${version}, the manifest says ${parsed.data.version}`);
    weights = decodeWeights(bytes, parsed.data.bits);
  } catch (err) {
    throw new ConfigError(weightsFile, errorMessage(err));
  }
  return new TextModel(parsed.data as ModelManifest, weights);
}
