import { fileURLToPath } from 'node:url';

/**
 * The package's root directory. This file sits one level below it (`src/paths.ts`), and so does the
 * built CLI (`dist/cli.mjs`) that bundles it: `..` from either is the root. Files shipped beside the
 * code (review assets, the bundled config, package.json) are found from here, never from a module's
 * own location, which bundling changes.
 */
export const ROOT_URL = new URL('../', import.meta.url);

/** The absolute path of a file under the package root (`fromRoot('config')`). */
export function fromRoot(relative: string): string {
  return fileURLToPath(new URL(relative, ROOT_URL));
}
