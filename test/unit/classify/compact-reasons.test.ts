import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CompiledLexicons,
  classify,
  compactReasons,
  MORE_SPANS,
  scoreText,
} from '../../../src/classify/index.ts';
import { loadLexicons } from '../../../src/config/index.ts';
import { reasonRows } from '../../../src/review/fields.ts';
import { parseReasons } from '../../../src/review/reasons.ts';
import { repoRoot } from '../../helpers/runtime.ts';

/** A lead stores each term once with its count and a few spans; the review app reads the same rows back. */

let lex: CompiledLexicons;
beforeAll(async () => {
  lex = await loadLexicons(join(repoRoot, 'config/lexicons'), { models: false });
});

describe('compact reasons', () => {
  it('stores a term repeated forty times once, and the lead page still counts forty', () => {
    const text = `${'Мефедрон 1г 3000р. '.repeat(40)}Закладки, пиши @shop`;
    const c = classify(text, lex);
    const stored = compactReasons(c.reasons);
    const meph = stored.filter((r) => r.term === 'mephedrone');
    expect(meph).toHaveLength(1);
    expect(meph[0]).toMatchObject({ count: 40, form: 'Мефедрон' });
    expect(meph[0]!.more).toHaveLength(MORE_SPANS);
    expect(meph[0]!.contribution).toBeGreaterThan(0);
    const json = JSON.stringify(stored);
    expect(json.length).toBeLessThan(JSON.stringify(c.reasons).length / 4);
    // Read back as the review app does: one reason per kept span, counts adding up to what was found.
    const back = parseReasons(json);
    expect(back.filter((r) => r.term === 'mephedrone').map((r) => r.span[0])).toEqual(
      c.reasons
        .filter((r) => r.term === 'mephedrone')
        .slice(0, MORE_SPANS + 1)
        .map((r) => r.span[0]),
    );
    const rows = reasonRows(back);
    const full = reasonRows(c.reasons);
    expect(rows.map((r) => [r.term, r.group, r.count, r.contribution])).toEqual(
      full.map((r) => [r.term, r.group, r.count, r.contribution]),
    );
  });

  it('keeps a term found once as it was, and reasons stored before compaction read the same', () => {
    const c = classify('Кетамин 1г, закладки', lex);
    const stored = compactReasons(c.reasons);
    expect(stored).toEqual(c.reasons);
    expect(parseReasons(JSON.stringify(c.reasons))).toEqual(c.reasons);
  });
});

describe('scoreText', () => {
  it('cuts the score of a text that is no lead, so none under the line reads as the line', () => {
    expect(scoreText(0.4999, false)).toBe('0.49');
    expect(scoreText(0.4999, false, 3)).toBe('0.499');
    // Binary fractions just under a decimal one are not cut a step too far.
    expect(scoreText(0.29, false)).toBe('0.29');
    expect(scoreText(0.57, false)).toBe('0.57');
    expect(scoreText(0, false)).toBe('0.00');
  });

  it("rounds a lead's score, as the lists of leads do", () => {
    expect(scoreText(0.9151, true)).toBe('0.92');
    expect(scoreText(0.5, true)).toBe('0.50');
    expect(scoreText(1, true, 3)).toBe('1.000');
  });
});
