import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLexicons, loadProposedLexicons } from '../../../src/config/index.ts';
import { repoRoot, tempDir } from '../../helpers/runtime.ts';

/**
 * A what-if (`rescore --lexicons DIR`, the review app's Lexicons page) runs proposed lexicons as they
 * would run in place: with the models in force unless the proposal brings its own `models/`. Copying
 * only the lexicons must not read as "every lead loses its learned reasons".
 */
const dir = tempDir();
const current = join(dir.path, 'config/lexicons');
const proposed = join(dir.path, 'next/lexicons');
const own = join(dir.path, 'own/lexicons');

beforeAll(() => {
  cpSync(join(repoRoot, 'config/lexicons'), current, { recursive: true });
  cpSync(join(repoRoot, 'config/models'), join(dir.path, 'config/models'), { recursive: true });
  cpSync(current, proposed, { recursive: true });
  cpSync(current, own, { recursive: true });
  mkdirSync(join(dir.path, 'own/models'));
});
afterAll(() => dir.remove());

describe('loadProposedLexicons', () => {
  it('lends a proposal without models/ the models in force', async () => {
    const inForce = await loadLexicons(current);
    const lex = await loadProposedLexicons(proposed, current);
    expect(Object.keys(lex.models ?? {}).sort()).toEqual(['marketplace', 'web']);
    expect(lex.version).toBe(inForce.version);
    // Loaded as a directory of its own, it has none.
    expect((await loadLexicons(proposed)).models).toBeUndefined();
  });

  it('keeps a proposal’s own models/, even an empty one, and lends nothing without a directory in force', async () => {
    expect((await loadProposedLexicons(own, current)).models).toBeUndefined();
    expect((await loadProposedLexicons(proposed, undefined)).models).toBeUndefined();
  });
});
