export { bundledConfigDir, type Config, loadConfig } from './load.ts';
export {
  lexiconDirFingerprint,
  loadLexicons,
  loadModels,
  loadProposedLexicons,
  modelsDirOf,
  readLexiconDir,
} from './lexicons.ts';
export { type RuntimeConfig, runtimeSchema, type SiteConfig, type SiteInput, siteSchema } from './schema.ts';
export { type LexiconStatus, LexiconWatcher } from './watch.ts';
export { parseYaml, readYamlFile } from './yaml.ts';
