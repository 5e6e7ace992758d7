import { describe, expect, it } from 'vitest';
import { isLetterAt } from '../../src/unicode.ts';

describe('isLetterAt', () => {
  it('is \\p{L} for every UTF-16 unit, its fast paths included', () => {
    const wrong: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      if (isLetterAt(ch, 0) !== /\p{L}/u.test(ch)) wrong.push(c.toString(16));
    }
    expect(wrong).toEqual([]);
  });

  it('is false outside the text', () => {
    expect(isLetterAt('мф', -1)).toBe(false);
    expect(isLetterAt('мф', 2)).toBe(false);
    expect(isLetterAt('', 0)).toBe(false);
    expect(isLetterAt('a҂b', 1)).toBe(false);
    expect(isLetterAt('a҂b', 2)).toBe(true);
  });
});
