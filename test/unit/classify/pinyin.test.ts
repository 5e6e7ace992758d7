import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CompiledLexicons, classify } from '../../../src/classify/index.ts';
import { MAX_PINYIN_VARIANTS, pinyinReadings, pinyinVariants } from '../../../src/classify/pinyin.ts';
import { loadLexicons } from '../../../src/config/lexicons.ts';

let lex: CompiledLexicons;
beforeAll(async () => {
  lex = await loadLexicons(join(import.meta.dirname, '../../../config/lexicons'), { models: false });
});

describe('pinyin readings and spellings', () => {
  it('reads a character every way it is read, toneless, ü both ways', () => {
    expect(pinyinReadings('卡')).toEqual(expect.arrayContaining(['ka', 'qia']));
    expect(pinyinReadings('绿')).toEqual(expect.arrayContaining(['lv', 'lu']));
    expect(pinyinReadings('k')).toEqual([]);
  });

  it('spells one or more characters of a form in pinyin, wholly only from three characters', () => {
    const cocaine = pinyinVariants('可卡因');
    expect(cocaine).toEqual(expect.arrayContaining(['ke卡因', '可ka因', '可卡yin', 'keka因', 'kekayin']));
    expect(cocaine).not.toContain('可卡因');
    const meth = pinyinVariants('冰毒');
    expect(meth).toEqual(expect.arrayContaining(['冰du', 'bing毒']));
    // `bingdu` is also 病毒, "virus".
    expect(meth).not.toContain('bingdu');
    // Latin kept as written; a single character is never spelled out alone.
    expect(pinyinVariants('k粉')).toEqual([]);
    expect(pinyinVariants('四号海洛因').length).toBeLessThanOrEqual(MAX_PINYIN_VARIANTS);
    expect(pinyinVariants('四号海洛因')).toContain('四号hai洛因');
  });
});

describe('Chinese written half in pinyin', () => {
  const substances = (text: string) => classify(text, lex).substances;

  it('finds a substance named half or wholly in pinyin', () => {
    expect(substances('出售ke卡因，同城')).toContain('cocaine');
    expect(substances('海luo因 到货')).toContain('heroin');
    expect(substances('bing毒 现货')).toContain('methamphetamine');
    expect(substances('ke ka yin 现货 微信')).toContain('cocaine');
    expect(substances('kekayin 到货')).toContain('cocaine');
  });

  it('reads the words around the name the same way: a sale and a seizure report score as written in characters', () => {
    for (const [written, spelled] of [
      ['出售可卡因，同城现货，微信联系', '出售ke卡因，同城现huo，wei信联系'],
      ['警方查获可卡因两公斤，犯罪嫌疑人已被刑事拘留', 'jing方cha获ke卡因两公斤，fan罪嫌疑人已被xing事拘留'],
    ] as const) {
      const a = classify(written, lex);
      const b = classify(spelled, lex);
      expect(b.score, spelled).toBeCloseTo(a.score, 2);
      expect(b.lead, spelled).toBe(a.lead);
      expect(new Set(b.reasons.map((r) => r.term)), spelled).toEqual(new Set(a.reasons.map((r) => r.term)));
    }
  });

  it('does not read Latin words or two syllables as a name', () => {
    // A Latin end must end its word: 大ma is 大麻 ("cannabis"), 大Mac is a burger.
    expect(substances('麦当劳大Mac套餐')).toEqual([]);
    expect(substances('大ma 现货')).toContain('cannabis');
    expect(substances('病毒 bingdu 疫苗')).toEqual([]);
  });
});
