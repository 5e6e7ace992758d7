import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { fromRoot } from '../paths.ts';
import { type RuntimeConfig, runtimeSchema, type SiteConfig, siteSchema } from './schema.ts';
import { readYamlFile, yamlFiles } from './yaml.ts';

/** The config shipped with Spiderweb (the demo's lexicons), used when the user has none. */
export const bundledConfigDir = fromRoot('config');

export interface Config {
  /** The directory read, absolute. */
  dir: string;
  runtime: RuntimeConfig;
  /** Sites by id, in file-name order. */
  sites: Map<string, SiteConfig>;
  /** Directory of the lexicon YAML files. */
  lexiconsDir: string;
}

/**
 * Reads `spiderweb.yaml`, `sites/*.yaml` and locates `lexicons/` under `dir`, validates them, and applies
 * environment overrides (`REDIS_URL`, `SPIDERWEB_REDIS_PREFIX`, `DATABASE_URL`, `SPIDERWEB_DATA_DIR`).
 * A missing `dir` falls back to the bundled defaults unless `required`. Throws `ConfigError` naming file,
 * line and field. Nothing else in Spiderweb parses config.
 */
export async function loadConfig(
  dir: string,
  opts: { env?: NodeJS.ProcessEnv; required?: boolean } = {},
): Promise<Config> {
  const env = opts.env ?? process.env;
  let root = resolve(dir);
  if (!existsSync(root)) {
    if (opts.required) throw new ConfigError(dir, 'config directory does not exist');
    root = bundledConfigDir;
  }
  const runtimeFile = join(root, 'spiderweb.yaml');
  const runtime = existsSync(runtimeFile)
    ? await readYamlFile(runtimeFile, runtimeSchema)
    : runtimeSchema.parse({});
  applyEnv(runtime, env);

  const sites = new Map<string, SiteConfig>();
  const sitesDir = join(root, 'sites');
  const siteFiles = existsSync(sitesDir) ? await yamlFiles(sitesDir) : [];
  const seenIn = new Map<string, string>();
  for (const name of siteFiles) {
    const file = join(sitesDir, name);
    const site = await readYamlFile(file, siteSchema);
    const other = seenIn.get(site.id);
    if (other)
      throw new ConfigError(file, `site id "${site.id}" is already used by ${other}`, { field: 'id' });
    seenIn.set(site.id, file);
    sites.set(site.id, site);
  }

  const own = join(root, 'lexicons');
  const lexiconsDir = existsSync(own) ? own : join(bundledConfigDir, 'lexicons');
  return { dir: root, runtime, sites, lexiconsDir };
}

function applyEnv(runtime: RuntimeConfig, env: NodeJS.ProcessEnv): void {
  if (env.REDIS_URL) runtime.redis.url = env.REDIS_URL;
  if (env.SPIDERWEB_REDIS_PREFIX) runtime.redis.prefix = env.SPIDERWEB_REDIS_PREFIX;
  if (env.DATABASE_URL) runtime.store.url = env.DATABASE_URL;
  if (env.SPIDERWEB_DATA_DIR) runtime.dataDir = env.SPIDERWEB_DATA_DIR;
}
