import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CompiledLexicons,
  decodeWeights,
  encodeWeights,
  lexiconLayer,
  type SiteContext,
  SparseWeights,
  TextModel,
} from '../../../src/classify/index.ts';
import { allTokens, lexiconFeatures } from '../../../src/classify/model/combine.ts';
import { type Attribution, Featuriser, foldKey, hashString } from '../../../src/classify/model/features.ts';
import { rng } from '../../../src/classify/model/train.ts';
import { loadLexicons } from '../../../src/config/lexicons.ts';
import { homoglyphs, leet, obfuscate, spaced, translit } from './obfuscate.ts';

/**
 * The scoring path (`TextModel.score`: memoised token sums, a front cache, reused slots for the
 * attributions) must give what training's path gives (`probability(features(...))`, a fresh
 * featuriser's feature list) for every kind of text, to 1e-9, and the same with or without an
 * explanation, warm or cold.
 */
const root = join(import.meta.dirname, '../../..');
const golden = readFileSync(join(root, 'test/fixtures/golden/cases.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { id: string; lang: string; context: SiteContext; text: string });

let lex: CompiledLexicons;
let model: TextModel;
let models: TextModel[];
beforeAll(async () => {
  lex = await loadLexicons(join(root, 'config/lexicons'));
  model = lex.models!.marketplace!;
  models = [model, lex.models!.web!];
});

/** Every word of a text through one trick. */
const each = (text: string, trick: (w: string) => string) => text.replace(/\p{L}{4,}/gu, (w) => trick(w));

function texts(): Array<{ name: string; text: string; title?: string }> {
  const out: Array<{ name: string; text: string; title?: string }> = [];
  // One case per language and context, as written and obfuscated.
  const seen = new Set<string>();
  for (const c of golden) {
    const k = `${c.lang}/${c.context}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ name: c.id, text: c.text });
    out.push({ name: `${c.id} obfuscated`, text: obfuscate(c.text, c.id) });
    out.push({ name: `${c.id} homoglyphs`, text: each(c.text, homoglyphs) });
    out.push({ name: `${c.id} leet`, text: each(c.text, leet) });
    out.push({ name: `${c.id} spaced`, text: each(c.text, spaced) });
    out.push({ name: `${c.id} translit`, text: each(c.text, translit) });
  }
  // A long page of every case (repeated words and pairs, lexicon terms many times), with a title.
  const page = golden.map((c) => c.text).join('\n');
  out.push({ name: 'long page', text: page, title: golden[0]!.text });
  out.push({ name: 'long page, twice', text: `${page}\n${page}` });
  out.push({
    name: 'odd tokens',
    text: `BTC bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh 0123456789 ${'a'.repeat(40)} 冰毒 冰毒 出售 ${'x y '.repeat(20)} m3ph m3ph МЕФ meф`,
  });
  out.push({ name: 'empty', text: '' });
  return out;
}

describe('the model scoring path', () => {
  it('gives training’s probability for every text, to 1e-9, with or without an explanation', () => {
    let compared = 0;
    for (const [context, model] of [
      ['marketplace', models[0]!],
      ['web', models[1]!],
    ] as const) {
      const ref = new Featuriser(model.manifest.bits);
      for (const t of texts()) {
        const layer = lexiconLayer(
          t.text,
          lex,
          t.title === undefined ? { context } : { context, title: t.title },
        );
        const tokens = allTokens(layer);
        const lexicon = lexiconFeatures(layer.classification);
        const expected = model.probability(ref.features(tokens, lexicon));
        const cold = model.score(tokens, lexicon);
        const out: Attribution[] = [];
        const explained = model.score(tokens, lexicon, { top: 6, out });
        const warm = model.score(tokens, lexicon);
        expect(Math.abs(cold - expected), `${t.name} (${context})`).toBeLessThan(1e-9);
        expect(explained, t.name).toBe(cold);
        expect(warm, t.name).toBe(cold);
        // The explanation: at most six features, largest |weight| first, spans inside the tokens.
        expect(out.length).toBeLessThanOrEqual(6);
        for (let i = 1; i < out.length; i++)
          expect(Math.abs(out[i - 1]!.weight)).toBeGreaterThanOrEqual(Math.abs(out[i]!.weight));
        for (const a of out) {
          if (a.tokens) {
            expect(a.tokens[0]).toBeGreaterThanOrEqual(0);
            expect(a.tokens[1]).toBeLessThanOrEqual(tokens.length);
          } else expect(lexicon).toContain(a.label);
        }
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(60);
  });

  it('gives training’s probability with a memo far smaller than a text: spellings of a word count once', () => {
    // Every spelling of `mef` folds to one key; a text writes several of them far apart, with more new
    // words between them than the memo holds, and texts follow one another so that it rotates often.
    const web = lex.models!.web!;
    const small = new TextModel(web.manifest, web.weights, 4);
    const ref = new Featuriser(web.manifest.bits);
    const r = rng(11);
    const spellings = ['mef', 'меф', 'm3f', 'мeф', 'MEF'];
    let compared = 0;
    for (let t = 0; t < 40; t++) {
      const words: string[] = [];
      for (let k = 0; k < 30; k++)
        words.push(r() < 0.2 ? spellings[Math.floor(r() * spellings.length)]! : `w${Math.floor(r() * 60)}x`);
      const layer = lexiconLayer(words.join(' '), lex);
      const tokens = allTokens(layer);
      const lexicon = lexiconFeatures(layer.classification);
      const expected = web.probability(ref.features(tokens, lexicon));
      expect(Math.abs(small.score(tokens, lexicon) - expected), words.join(' ')).toBeLessThan(1e-9);
      compared++;
    }
    expect(compared).toBe(40);
    // Two maps, each at most its bound and one text's words.
    expect(small.memoised).toBeLessThanOrEqual(2 * (4 + 30));
  });

  it('reads a list of numbered items as one: a number is its shape, and a pair counts once', () => {
    const list = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => `Item ${from + k}`).join('\n');
    const f = new Featuriser(20);
    const features = (text: string) => {
      const layer = lexiconLayer(text, lex);
      return f.features(allTokens(layer), lexiconFeatures(layer.classification));
    };
    const two = features(list(100, 2));
    const fifty = features(list(100, 50));
    expect([...fifty.ids].sort()).toEqual([...two.ids].sort());
    expect(fifty.value).toBe(two.value);
    expect(features(list(555, 2)).ids).toEqual(two.ids);
    for (const m of models) {
      const layer = lexiconLayer(list(550, 50), lex);
      expect(m.score(allTokens(layer), lexiconFeatures(layer.classification))).toBeCloseTo(
        m.probability(features(list(100, 2))),
        12,
      );
    }
  });

  it('names a word’s attribution by its folded key and weighs it by its features’ weights', () => {
    const text = 'Mephedrone 1g stealth shipping, m3ph crystals';
    const layer = lexiconLayer(text, lex, { context: 'marketplace' });
    const tokens = allTokens(layer);
    const lexicon = lexiconFeatures(layer.classification);
    const out: Attribution[] = [];
    model.score(tokens, lexicon, { top: 50, out });
    const f = new Featuriser(model.manifest.bits).features(tokens, lexicon);
    for (const a of out) {
      if (!a.tokens || a.tokens[1] - a.tokens[0] !== 1) continue;
      const t = model.featuriser.analyse(tokens[a.tokens[0]]!.text);
      expect(a.label).toBe(t.key);
      let z = 0;
      for (const id of t.ids) z += model.weights.get(id);
      expect(a.weight).toBeCloseTo(z * f.value, 12);
    }
    expect(out.some((a) => a.tokens && a.tokens[1] - a.tokens[0] === 2)).toBe(true);
  });

  /**
   * Classifies `text` with both layers; each may keep fewer than 10 of its words in its memo, and the
   * model must score it as training would. Returns the lexicon layer's classification.
   */
  function memoisesFew(text: string) {
    const web = lex.models!.web!;
    const words = lex.tokenCache.size;
    const layer = lexiconLayer(text, lex, { context: 'web' });
    expect(lex.tokenCache.size - words).toBeLessThan(10);
    const tokens = allTokens(layer);
    const lexicon = lexiconFeatures(layer.classification);
    const before = web.memoised;
    const p = web.score(tokens, lexicon);
    expect(web.memoised - before).toBeLessThan(10);
    expect(p).toBeCloseTo(web.probability(new Featuriser(web.manifest.bits).features(tokens, lexicon)), 9);
    return layer.classification;
  }

  it('keeps no number in its memo: a page’s prices, order numbers (`№200003`) and dates are found by their shape', () => {
    const numbers = Array.from(
      { length: 5000 },
      (_, i) => `заказ ${100_000 + i * 7} от ${1 + (i % 28)}.11.2026, отзыв №${200_000 + i * 3}`,
    );
    // Nor does the lexicon layer: `№200003` is written as the one word `no200003`.
    memoisesFew(`Продаю диван. ${numbers.join(', ')}`);
  });

  it('keeps no ID in its memo either: words with five digits in a row are found by their shape', () => {
    const ids = Array.from(
      { length: 5000 },
      (_, i) => `item${483_920 + i * 7} id${10_234_567 + i} заказ${600_000 + i}`,
    );
    const c = memoisesFew(`Мефедрон 1г 3500р, u47700. ${ids.join(', ')}`);
    // A listed form with five digits is still read.
    expect(c.substances).toEqual(expect.arrayContaining(['mephedrone', 'fentanyl analogue']));
    expect(foldKey('item483920')).toBe('item000000');
    expect(foldKey('заказ600001')).toBe('заказ000000');
  });

  /**
   * The feature strings of one token key, word feature first: the definition the shipped models were
   * trained on (a number is its length; a key over 24 units its word and length; Chinese characters and
   * their pairs; else the 2–5-grams of `<key>` but the whole).
   */
  function tokenFeatures(key: string): string[] {
    if (/^\d+$/.test(key)) return [`d:${key.length}`];
    const out = [`w:${key}`];
    if (key.length > 24) return [...out, `len:${Math.min(64, key.length)}`];
    if (/\p{Script=Han}/u.test(key)) {
      const chars = [...key];
      for (let i = 0; i < chars.length; i++) {
        out.push(`h:${chars[i]}`);
        if (i + 1 < chars.length) out.push(`h:${chars[i]}${chars[i + 1]}`);
      }
      return out;
    }
    const s = `<${key}>`;
    for (let n = 2; n <= 5; n++)
      for (let i = 0; i + n <= s.length; i++) {
        const g = s.slice(i, i + n);
        if (g.length !== s.length) out.push(`c:${g}`);
      }
    return out;
  }

  it('hashes a token’s features as their strings would hash, without making them', () => {
    // `analyse` fills its buckets without building `w:…`, `c:…`, `h:…` strings; the strings are the
    // definition (weights of shipped models were trained on them), so every kind of token must agree.
    const f = new Featuriser(20);
    const alphabet = [
      'a',
      'z',
      'k',
      '0',
      '7',
      '3',
      'м',
      'е',
      'қ',
      'ў',
      'ё',
      '冰',
      '毒',
      '𠀀',
      '😀',
      '\ud800',
      '-',
      'é',
      'ا',
    ];
    const next = rng(11);
    const tokens = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      '0',
      '1150',
      'x'.repeat(24),
      'x'.repeat(25),
      '冰',
      '冰毒',
      '𠀀毒',
    ];
    for (let n = 0; n < 20_000; n++) {
      let t = '';
      const len = 1 + Math.floor(next() * 30);
      for (let i = 0; i < len; i++) t += alphabet[Math.floor(next() * alphabet.length)];
      tokens.push(t);
    }
    let differ = 0;
    for (const t of tokens) {
      const key = foldKey(t);
      const want = tokenFeatures(key).map((s) => hashString(s) & f.mask);
      const got = f.analyse(t);
      if (got.key !== key || got.kh !== hashString(`b:${key}`) || [...got.ids].join() !== want.join())
        differ++;
    }
    expect(differ).toBe(0);
  });

  it('keeps only the non-zero weights and reads every bucket as the dense array does', () => {
    const r = rng(7);
    const dense = new Float32Array(1 << 12);
    // Runs of zeros longer than 32 buckets (whole empty words), single weights, full words, the last bucket.
    for (let i = 0; i < dense.length; i++)
      if (r() < (i < 1024 ? 0.02 : i < 2048 ? 0.97 : 0.3)) dense[i] = r() - 0.5;
    dense[31] = 0.25;
    dense[dense.length - 1] = -1.5;
    const fromFile = decodeWeights(encodeWeights(dense), 12);
    for (const w of [SparseWeights.fromDense(dense), fromFile])
      for (let i = 0; i < dense.length; i++) expect(w.get(i)).toBe(dense[i]);
  });

  it('refuses a weights file whose buckets are out of range or out of order', () => {
    const file = (entries: Array<[number, number]>) => {
      const buf = Buffer.alloc(4 + 8 * entries.length);
      buf.writeUInt32LE(entries.length, 0);
      entries.forEach(([i, w], k) => {
        buf.writeUInt32LE(i, 4 + 4 * k);
        buf.writeFloatLE(w, 4 + 4 * entries.length + 4 * k);
      });
      return gzipSync(buf);
    };
    expect(
      decodeWeights(
        file([
          [3, 1],
          [9, 2],
        ]),
        4,
      ).get(9),
    ).toBe(2);
    expect(() => decodeWeights(file([[16, 1]]), 4)).toThrow('weight index 16 is outside 16 buckets');
    expect(() =>
      decodeWeights(
        file([
          [9, 1],
          [3, 2],
        ]),
        4,
      ),
    ).toThrow('weight index 3 comes after 9');
    expect(() =>
      decodeWeights(
        file([
          [3, 1],
          [3, 2],
        ]),
        4,
      ),
    ).toThrow('weight index 3 comes after 3');
  });
});
