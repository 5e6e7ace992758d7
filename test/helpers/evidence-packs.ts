/** What an evidence store holds on disk, read straight from its files (not through `EvidenceStore`). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every line of every pack index under the store `root` (none before its first put). */
export function packIndexLines(root: string): string[] {
  const packs = join(root, 'packs');
  if (!existsSync(packs)) return [];
  return readdirSync(packs)
    .filter((f) => f.endsWith('.idx'))
    .flatMap((f) => readFileSync(join(packs, f), 'utf8').split('\n').filter(Boolean));
}
