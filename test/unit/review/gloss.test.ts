import { join } from 'node:path';
import { expect, it } from 'vitest';
import { classify } from '../../../src/classify/index.ts';
import { loadLexicons } from '../../../src/config/index.ts';
import { csvRow } from '../../../src/review/index.ts';
import { repoRoot } from '../../helpers/runtime.ts';

it("carries the shipped lexicons' English gloss from the matched entry into reasons and the CSV export", async () => {
  const lex = await loadLexicons(join(repoRoot, 'config', 'lexicons'));
  const text = 'кара куурай сатам, 冰毒 1克';
  const c = classify(text, lex);
  const gloss = (form: string) => c.reasons.find((r) => r.form === form)?.gloss;
  expect(gloss('кара куурай')).toBe('black weed, weed (куурай); marijuana grass');
  expect(gloss('冰毒')).toMatch(/^methamphetamine: 冰毒 "ice"/);
  // English entries need none.
  expect(classify('buy cocaine now', lex).reasons.find((r) => r.term === 'cocaine')?.gloss).toBeUndefined();
  const row = csvRow({
    id: 1,
    page_id: 1,
    site_id: 's',
    url: 'http://x/',
    title: 't',
    score: c.score,
    kind: c.kind,
    category: c.category,
    substances: JSON.stringify(c.substances),
    reasons: JSON.stringify(c.reasons),
    status: 'new',
    lexicon_version: c.lexiconVersion,
    found_via: 'seed',
    first_seen: '',
    last_seen: '',
    gone_at: null,
    crawl_id: 'c',
    cluster_id: null,
  } as never);
  expect(row).toContain('cannabis (black weed, weed (куурай); marijuana grass)');
});
