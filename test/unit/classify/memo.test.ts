import { describe, expect, it } from 'vitest';
import { Memo } from '../../../src/classify/memo.ts';

describe('Memo', () => {
  it('keeps what is read while one-off entries pass through, and never holds more than twice its half', () => {
    const memo = new Memo<number>(100);
    for (const w of ['the', 'of', 'mef']) memo.set(w, w.length);
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      // A page: three everyday words, then ids seen once.
      for (const w of ['the', 'of', 'mef']) expect(memo.get(w)).toBe(w.length);
      for (let k = 0; k < 7; k++) memo.set(`id${i}-${k}`, k);
      largest = Math.max(largest, memo.size);
    }
    expect(largest).toBeLessThanOrEqual(200);
    // A one-off entry from long ago is gone; a recent one is there.
    expect(memo.get('id0-0')).toBeUndefined();
    expect(memo.get('id9999-6')).toBe(6);
  });

  it('moves an entry of the old map back to the young one when it is read', () => {
    const memo = new Memo<string>(2);
    memo.set('a', 'A');
    memo.set('b', 'B');
    memo.set('c', 'C'); // a, b are now old
    expect(memo.get('a')).toBe('A'); // young: c, a
    memo.set('d', 'D'); // rotates: c, a old; b dropped
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')).toBe('A');
    expect(memo.get('c')).toBe('C');
  });

  it('rotates only when asked, with an infinite half', () => {
    const memo = new Memo<number>(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1000; i++) memo.set(String(i), i);
    expect(memo.youngSize).toBe(1000);
    memo.rotate();
    expect(memo.youngSize).toBe(0);
    expect(memo.get('5')).toBe(5);
    memo.rotate();
    expect(memo.get('6')).toBeUndefined();
    expect(memo.get('5')).toBe(5);
  });
});
