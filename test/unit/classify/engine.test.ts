import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { Automaton } from '../../../src/classify/automaton.ts';
import { compileLexicons, lexiconFileSchema, type LexiconFile } from '../../../src/classify/index.ts';
import { classify, type CompiledLexicons, normaliseText, originalSpan } from '../../../src/classify/index.ts';
import { latToCyr } from '../../../src/classify/fold.ts';
import { boundedDistance, maxEdits } from '../../../src/classify/match.ts';
import { rng } from '../../../src/classify/model/train.ts';
import { stemEn, stemRu } from '../../../src/classify/stem.ts';
import { tokenise } from '../../../src/classify/tokenise.ts';
import { loadLexicons } from '../../../src/config/lexicons.ts';

const root = join(import.meta.dirname, '../../..');
let lex: CompiledLexicons;
beforeAll(async () => {
  // The lexicon layer alone: these tests pin its scoring (test/unit/classify/model.test.ts covers the model).
  lex = await loadLexicons(join(root, 'config/lexicons'), { models: false });
});

const file = (data: unknown): LexiconFile => lexiconFileSchema.parse(data);

describe('normalisation', () => {
  it('maps every span back to the original text', () => {
    const text = 'Ｍｅｆ\u200bедрон ﬁne Cocaïne';
    const norm = normaliseText(text);
    expect(norm.text).toBe('mefедрон fine cocaine');
    const at = norm.text.indexOf('fine');
    expect(text.slice(...originalSpan(norm, at, at + 4))).toBe('ﬁne');
    const c = norm.text.indexOf('cocaine');
    expect(text.slice(...originalSpan(norm, c, c + 7))).toBe('Cocaïne');
  });

  it('drops invisible characters and stress marks, folds ё and Greek fancy text', () => {
    expect(normaliseText('ме\u0301ф\u00adедрон').text).toBe('мефедрон');
    expect(normaliseText('Лёд').text).toBe('лед');
    expect(normaliseText('Cσcαιηє').text).toBe('cocaiηє'.replace('η', 'n'));
  });

  it('keeps ASCII text as is, with an identity map', () => {
    const n = normaliseText('Buy 3-MMC');
    expect(n.text).toBe('buy 3-mmc');
    expect(n.starts).toBeNull();
  });

  it('reads small capitals and letters in negative circles and squares as Latin letters', () => {
    expect(normaliseText('ᴍᴇꜰᴇᴅʀᴏɴᴇ').text).toBe('mefedrone');
    const emoji = normaliseText('🅼🅳🅼🅰\ufe0f 🅜');
    expect(emoji.text).toBe('mdma m');
    expect(originalSpan(emoji, 0, 4)).toEqual([0, 8]);
    expect(classify('🅼🅳🅼🅰 1g 30$', lex).substances).toEqual(['MDMA']);
    expect(classify('ᴍᴅᴍᴀ pills 10$', lex).substances).toEqual(['MDMA']);
  });

  it('reads parenthesised letters and Greek capitals as the Latin letters they show', () => {
    // NFKC writes `⒨` as `(m)`; lowercased first, the Greek `Μ` would be `μ`, which reads `u` (`µg`).
    const paren = normaliseText('⒨⒟⒨⒜ 1g');
    expect(paren.text).toBe('mdma 1g');
    expect(originalSpan(paren, 0, 4)).toEqual([0, 4]);
    expect(normaliseText('ΜDΜΑ ΚΕΤΑΜΙΝΕ').text).toBe('mdma ketamine');
    expect(normaliseText('5 μg').text).toBe('5 ug');
    expect(classify('⒨⒟⒨⒜ 1g 30$', lex).substances).toEqual(['MDMA']);
    expect(classify('ΜDΜΑ 1г 2000', lex).substances).toEqual(['MDMA']);
    expect(classify('α-ΡΗΡ 1g', lex).substances).toEqual(['alpha-PHP']);
  });

  it('does not spell letterlike symbols into the words beside them', () => {
    // NFKC makes `™` the letters `TM`: `Cocaine™` would be the word `cocainetm`.
    expect(normaliseText('Cocaine™ 1g').text).toBe('cocaine  1g');
    expect(classify('Cocaine™ 1g 80$', lex).substances).toEqual(['cocaine']);
    expect(normaliseText('℡ +7').text).toBe('  +7');
  });

  it('writes the numero sign no only when a number is glued to it', () => {
    const glued = normaliseText('Порошок №4');
    expect(glued.text).toBe('порошок no4');
    expect(originalSpan(glued, 8, 11)).toEqual([8, 10]);
    expect(normaliseText('№4').text).toBe('no4');
    expect(normaliseText('Объявление № 4').text).toBe('объявление № 4');
    // An ad, a flat or a school numbered `№ 4` is no heroin grade, and a pack size (`№ 10`) no price.
    const ad = classify('Объявление № 4 018 772 551. Продам велосипед, 5000 тг', lex);
    expect(ad.substances).toEqual([]);
    expect(ad.lead).toBe(false);
    const pack = classify('Трамадол 50 мг № 10 – 38 000 сўм', lex);
    expect(pack.reasons.map((r) => r.form)).not.toContain('10');
  });

  it('reports spans of matches in the original text, including homoglyphs and spacing', () => {
    const text = 'Продам  М е ф е д р о н — или Мeфeдрoн, 1г 3500₽';
    const c = classify(text, lex);
    const forms = c.reasons.filter((r) => r.group === 'substance').map((r) => text.slice(...r.span));
    expect(forms).toEqual(['М е ф е д р о н', 'Мeфeдрoн']);
    for (const r of c.reasons) if (r.group !== 'context') expect(text.slice(...r.span)).toBe(r.form);
  });
});

describe('tokenising', () => {
  it('keeps Kazakh, Uzbek and Tajik letters inside words', () => {
    expect(tokenise('қарасора ғ ў ҳ ё сомонӣ').map((t) => t.text)).toEqual(['қарасора', 'ғўҳё', 'сомонӣ']);
  });

  it("joins words split by an apostrophe (so'm, o'zbek)", () => {
    expect(tokenise("600 ming so'm oʻzbek").map((t) => t.text)).toEqual(['600', 'ming', 'som', 'ozbek']);
  });

  it('collapses letter-spacing, with leet digits inside', () => {
    expect(tokenise('m.e.p.h and m 3 p h — 5 g').map((t) => t.text)).toEqual([
      'meph',
      'and',
      'm3ph',
      '5',
      'g',
    ]);
  });

  it('ends a spaced run where the gap changes: a wider or other gap is the space between two words', () => {
    expect(tokenise('м е ф  б а р, 1 г').map((t) => t.text)).toEqual(['меф', 'бар', '1', 'г']);
    expect(tokenise('m_e_f b_o_r').map((t) => t.text)).toEqual(['mef', 'bor']);
    expect(tokenise('m.e.f. s.o.l').map((t) => t.text)).toEqual(['mef', 'sol']);
    // `меф` is too short to be read inside one run `мефбар`; as its own word it is a substance.
    expect(classify('м е ф  б а р, Алматы', lex).substances).toEqual(['mephedrone']);
  });

  it('maps a spaced term inside a run of single letters back to its own letters', () => {
    const text = 'Есть и М е ф е д р о н в наличии, к.л.а.д 24/7';
    const c = classify(text, lex);
    const forms = c.reasons.filter((r) => r.via === 'spaced').map((r) => text.slice(...r.span));
    expect(forms).toEqual(['М е ф е д р о н', 'к.л.а.д']);
    expect(c.lead).toBe(true);
  });

  it('makes each emoji a token and keeps Chinese runs whole', () => {
    expect(tokenise('❄ 冰毒出售').map((t) => t.text)).toEqual(['❄', '冰毒出售']);
  });

  it('splits Latin words and numbers glued to Chinese, and still finds mixed forms', () => {
    expect(tokenise('BTC支付 冰0.5g').map((t) => t.text)).toEqual(['BTC', '支付', '冰', '0', '5g']);
    expect(classify('BTC支付', lex).reasons.map((r) => r.term)).toContain('bitcoin');
    expect(classify('k粉 现货', lex).substances).toEqual(['ketamine']);
  });

  it('reads a word of lookalikes with no clear majority in either script (BТС: B Latin, Т and С Cyrillic)', () => {
    expect(classify('BТС支付', lex).reasons.map((r) => [r.term, r.via])).toEqual([['bitcoin', 'homoglyph']]);
    // Only a listed form: `раid` (р, а Cyrillic) is not read as `raid` through transliteration.
    expect(classify('раid daily', lex).reasons).toEqual([]);
  });
});

describe('stemming', () => {
  it('uses the Porter stemmers for English and Russian', () => {
    expect(stemEn('drops')).toBe('drop');
    expect(stemRu('закладки')).toBe(stemRu('закладку'));
    expect(stemRu('мефедрона')).toBe(stemRu('мефедрон'));
  });

  it('matches inflected Russian and suffixed Kazakh/Uzbek forms', () => {
    expect(classify('мефедроном', lex).substances).toEqual(['mephedrone']);
    expect(classify('zakladkalar', lex).reasons.map((r) => r.term)).toContain('dead drop');
  });

  it('matches a listed form with digits between letters as written (m30s), not only its leet reading', () => {
    const own = compileLexicons([
      {
        file: 't.yaml',
        data: file({ substances: [{ term: 'm30', class: 'pharma', forms: ['m30s', 'zx9q'] }] }),
      },
    ]);
    expect(classify('blue M30s, 100 pcs', own).substances).toEqual(['m30']);
    expect(classify('zx9q', own).substances).toEqual(['m30']);
    expect(classify('m30s', lex).substances).toEqual(['opioid pharma']);
  });

  it('reads digits as letters one or two at a time, never a run of three (a number)', () => {
    const own = compileLexicons([
      { file: 't.yaml', data: file({ substances: [{ term: 'sosos', class: 'pharma', forms: ['sosos'] }] }) },
    ]);
    expect(classify('s0s0s', own).reasons.map((r) => r.via)).toEqual(['leet']);
    expect(classify('s050s', own).substances).toEqual([]);
    expect(classify('k3t4m1n3', lex).substances).toContain('ketamine');
  });

  it('keeps a word’s digits in its stem, and stems only forms of letters', () => {
    // What lets the lexicon layer leave IDs, hashes and prices glued to words unstemmed.
    const words = [
      'item1234567',
      'k2spices',
      'b1uesky',
      'tabs100',
      '4mmcing',
      'закладки2',
      'мефедрон11а',
      '9ies',
      'ab11ed',
    ];
    for (const w of words) {
      expect(stemEn(w), w).toMatch(/[0-9]/);
      expect(stemRu(w), w).toMatch(/[0-9]/);
    }
    expect([...lex.stems.keys()].filter((k) => /[0-9]/.test(k))).toEqual([]);
    const own = compileLexicons([
      {
        file: 't.yaml',
        data: file({
          substances: [{ term: 'k2', class: 'synthetic-cannabinoid', forms: ['k2spices', 'spices'] }],
        }),
      },
    ]);
    expect([...own.stems.keys()]).toEqual(['en:spice']);
    expect(classify('spicing', own).reasons.map((r) => r.via)).toEqual(['stem']);
    expect(classify('k2spicing', own).substances).toEqual([]);
  });
});

describe('chemical names', () => {
  it.each([
    ['3-MMC', '3-MMC'],
    ['3 mmc', '3-MMC'],
    ['3mmc', '3-MMC'],
    ['α-PVP', 'alpha-PVP'],
    ['a-PVP', 'alpha-PVP'],
    ['alpha PVP', 'alpha-PVP'],
    ['4-CMC', '4-CMC'],
    ['MDMB-4en-PINACA', 'MDMB-4en-PINACA'],
    ['mdmb 4en pinaca', 'MDMB-4en-PINACA'],
    ['2C-B', '2C-B'],
    ['2cb', '2C-B'],
    ['25I-NBOMe', 'NBOMe'],
    ['4-ММС', 'mephedrone'],
    // A code in Cyrillic letters glued to its digits is a code, as in Latin (`3mmc`), not leetspeak.
    ['3ммс', '3-MMC'],
    ['4ммс 1г', 'mephedrone'],
  ])('%s → %s', (text, term) => {
    expect(classify(text, lex).substances).toContain(term);
  });

  it('needs token boundaries: 13mmc is not 3-MMC', () => {
    expect(classify('13mmc', lex).substances).not.toContain('3-MMC');
  });

  it('reads the heroin grade written with the numero sign, which NFKC makes no4', () => {
    const c = classify('Порошок №4 0,5 г', lex);
    expect(c.reasons.find((r) => r.term === 'heroin')?.form).toBe('№4');
  });

  it('reads a code across one hyphen or space, never across a comma, a colon or masking', () => {
    for (const [text, term] of [
      ['W-15 1g', 'synthetic opioid'],
      ['W 15 1g', 'synthetic opioid'],
      ['W–15 1g', 'synthetic opioid'],
      ['к2 микс', 'synthetic cannabinoid'],
      ['к-2 5г', 'synthetic cannabinoid'],
      ['G13 seeds', 'cannabis strain'],
    ]) {
      expect(classify(text!, lex).substances, text).toContain(term);
    }
    // A digit and a Chinese character are tokens of their own even when glued: still one code.
    const own = compileLexicons([
      { file: 't.yaml', data: file({ substances: [{ term: 'heroin', class: 'opiate', forms: ['4号'] }] }) },
    ]);
    expect(classify('出售4号，纯度高', own).substances).toEqual(['heroin']);
    expect(classify('出售4，号', own).substances).toEqual([]);
    for (const [text, term] of [
      // A masked reviewer and the date of the review.
      ['Отзыв от w***1 15.3.2026: всё пришло вовремя', 'synthetic opioid'],
      ['отзыв от к***2 2.3.2026', 'synthetic cannabinoid'],
      // A price list: 0,5 g for 13,000.
      ['0,5 г — 13 000, 1 г — 24 000 тг', 'cannabis strain'],
      ['лот к, 2 шт', 'synthetic cannabinoid'],
    ]) {
      expect(classify(text!, lex).substances, text).not.toContain(term);
    }
  });

  // The long tail of research chemicals (TripSit's list): a vendor's title names one and nothing else.
  it.each([
    ['1g 2-FA', 'nps'],
    ['5g 4-FMA crystal', 'nps'],
    ['10x 15mg 4-AcO-DALT', 'nps'],
    ['1g Ethaqualone', 'nps'],
    ['500mg alpha-PBP', 'nps'],
    ['100mg MK-801', 'synthetic'],
    ['6-APB pellets', 'nps'],
  ])('%s is a listing of category %s', (text, category) => {
    const c = classify(text, lex, { context: 'marketplace' });
    expect(c.category).toBe(category);
    expect(c.lead).toBe(true);
  });

  it('leaves short aliases that are common abbreviations alone: 2-ct, DOB, DOC, ether', () => {
    for (const text of ['2-ct cookies party pack', 'Fake ID, DOB 1990', 'DOC scans 5 pages', '1 ether']) {
      expect(classify(text, lex, { context: 'marketplace' }).substances, text).toEqual([]);
    }
  });

  it('names that read as everyday words in the other script are no substance: 4 мес, P2P, boshqa', () => {
    for (const text of [
      'Котята 2 мес, привиты, 40 000 тг, доставка',
      'Щенки 4 мес., цена 30000',
      'Binance P2P: USDT купим/продадим, курс 509 тг, Kaspi',
      "Boshqa viloyatga pochta orqali jo'natamiz, narxi 150 000 so'm",
      'Бошқа вилоятларга етказиб берамиз',
    ]) {
      expect(classify(text, lex).substances, text).toEqual([]);
    }
    // Written as chemists and vendors write them, they still are.
    expect(classify('4-MEC 5g', lex).substances).toContain('4-MEC');
    expect(classify('4-ММС 1г', lex).substances).toContain('mephedrone');
    expect(classify('бошки 1г', lex).substances).toContain('cannabis');
  });

  it('translit: false keeps a chemical name out of its Cyrillic look-alike writing', () => {
    const lexicon = (translit: boolean) =>
      compileLexicons([
        {
          file: 'x.yaml',
          data: file({
            lang: 'en',
            substances: [{ term: '4-MEC', class: 'cathinone', translit, forms: ['4-mec'] }],
          }),
        },
      ]);
    expect(classify('4-МЕС 1г', lexicon(true)).substances).toEqual(['4-MEC']);
    expect(classify('4-МЕС 1г', lexicon(false)).substances).toEqual([]);
    expect(classify('4-MEC 1g', lexicon(false)).substances).toEqual(['4-MEC']);
  });
});

describe('obfuscation', () => {
  it.each([
    ['m3ph', 'mephedrone'],
    ['мефедр0н', 'mephedrone'],
    ['fl4kka', 'alpha-PVP'],
    ['mefedron', 'mephedrone'],
    ['Мeфeдрoн', 'mephedrone'],
    ['м е ф е д р о н', 'mephedrone'],
  ])('%s → %s', (text, term) => {
    expect(classify(text, lex).substances).toContain(term);
  });
});

describe('letter-spaced words run together', () => {
  it('finds the terms inside a run of several spaced words, each mapped to its own letters', () => {
    const text = '2 f r e e p l a y b o y b u n n y m d m a p i l l s';
    const r = classify(text, lex, { context: 'marketplace' });
    expect(r.substances).toContain('MDMA');
    const mdma = r.reasons.find((x) => x.term === 'MDMA')!;
    expect(mdma.via).toBe('spaced');
    expect(text.slice(...mdma.span)).toBe('m d m a p i l l s');
    expect(classify('к у п и т ь м е ф е д р о н а л м а т ы', lex).substances).toContain('mephedrone');
  });

  it('reads letters spaced by an emoji as one word, the emoji left out', () => {
    expect(tokenise(normaliseText('м💎е💎ф 1г').text).map((t) => [t.text, t.letters])).toEqual([
      ['меф', [0, 3, 6]],
      ['1г', undefined],
    ]);
    const text = 'М💎Е💎Ф 1г — 6000₽, закладки по городу';
    const c = classify(text, lex);
    expect(c.substances).toEqual(['mephedrone']);
    expect(text.slice(...c.reasons.find((r) => r.term === 'mephedrone')!.span)).toBe('М💎Е💎Ф');
    expect(classify('м ❄ е ❄ ф 1г 3500р', lex).substances).toEqual(['mephedrone']);
    // One emoji between words is no spacing.
    expect(classify('я 💎 ты 💎 мы', lex).reasons.map((r) => r.via)).not.toContain('spaced');
  });

  it('does not take a short form spelled across innocent words', () => {
    // `pot` sits inside `h o t s p o t s h i e l d`, neither at an end nor beside another term.
    expect(classify('h o t s p o t s h i e l d e l i t e', lex).substances).toEqual([]);
    // Nor one at an end of the run that leaves only a word's tail: `plan` in `planet`, `ket` in `basket`.
    expect(classify('p l a n e t', lex).substances).toEqual([]);
    expect(classify('b a s k e t', lex).substances).toEqual([]);
  });
});

describe('words split to slip past a filter', () => {
  it.each([
    ['ме-фе-дрон 1г 3500р', 'mephedrone', 'ме-фе-дрон'],
    ['ам-фе-та-мин 1г', 'amphetamine', 'ам-фе-та-мин'],
    ['he.ro.in 1g', 'heroin', 'he.ro.in'],
    ['мефе_дрон 2г', 'mephedrone', 'мефе_дрон'],
    ['мефедр*н 1г', 'mephedrone', 'мефедр*н'],
    ['м*ф 1г 3500', 'mephedrone', 'м*ф'],
    ['ге*оин 1г', 'heroin', 'ге*оин'],
    ['Ме-фе-дрoн 1г', 'mephedrone', 'Ме-фе-дрoн'],
    ['k0k@1n 1g 90$', 'cocaine', 'k0k@1n'],
    ['м€ф 1г, тг', 'mephedrone', 'м€ф'],
    ['L$D blotters', 'LSD', 'L$D'],
    ['M.3.F 1g', 'mephedrone', 'M.3.F'],
  ])('%s names %s', (text, term, form) => {
    const c = classify(text, lex);
    expect(c.substances).toEqual([term]);
    const r = c.reasons.find((x) => x.term === term)!;
    expect(r.via).toBe('split');
    expect(text.slice(...r.span)).toBe(form);
  });

  it('reads hidden dead drops and hiring the same way', () => {
    const text = 'Ищем кл@дменов, оплата сразу. Закл@дки по городу, м3ф';
    const c = classify(text, lex);
    const split = c.reasons.filter((r) => r.via === 'split');
    expect(split.map((r) => [r.group, r.term, text.slice(...r.span)])).toEqual([
      ['recruitment', 'dead-drop courier wanted', 'кл@дменов'],
      ['intent', 'dead drop', 'Закл@дки'],
    ]);
    expect(classify('ищем кл@дменов', lex).kind).toBe('recruitment');
  });

  it('reads no weak slang, no compound and no censored swear word as a drug', () => {
    for (const text of [
      'кто-то из-за онлайн-магазин, северо-запад',
      'sh*t f*ck b*tch d*mn cr*p h*ll',
      'х*й б*я с*ка п*здец бл*ть',
      // Two stars are a masked name (a market's reviewer), not a letter.
      'отзыв от м**ф: всё пришло',
      // Weak slang (`соль` is also salt) is not read through a mask.
      'с*ль 1кг',
      // Nor is an e-mail address run into its domain.
      'пишите на shop@mail.ru или info@yandex.kz',
    ])
      expect(classify(text, lex).reasons.filter((r) => r.via === 'split')).toEqual([]);
  });

  it('counts a word a phrase or a piece already read once', () => {
    const c = classify('α-PVP 1g, crystal-meth 2g', lex);
    expect(c.reasons.filter((r) => r.group === 'substance').map((r) => r.via)).not.toContain('split');
  });
});

describe('fuzzy fallback', () => {
  it('allows one typo in long names, two from eleven letters', () => {
    expect(maxEdits(8)).toBe(1);
    expect(maxEdits(11)).toBe(2);
    expect(classify('mephedorne', lex).reasons[0]).toMatchObject({ term: 'mephedrone', via: 'fuzzy' });
    expect(classify('methamphetmine', lex).substances).toContain('methamphetamine');
  });

  it('never matches short words or distant ones', () => {
    expect(classify('heroic', lex).substances).toEqual([]);
    expect(classify('mephistopheles', lex).substances).toEqual([]);
  });

  it('bounded distance stops early', () => {
    expect(boundedDistance('ketamine', 'ketamnie', 1)).toBe(1);
    expect(boundedDistance('ketamine', 'kettlebell', 2)).toBe(3);
  });

  it('reads Russian written in Latin letters, the longest digraph first', () => {
    const read = [
      'shchuka',
      'schastye',
      'shishki',
      'kharkiv',
      'yolka',
      'phen',
      'tsar',
      'chay',
      'sol2',
      'café',
    ];
    expect(read.map(latToCyr)).toEqual([
      'щука',
      'щасте',
      'шишки',
      'харкив',
      'елка',
      'фен',
      'цар',
      'чай',
      'сол2',
      null,
    ]);
  });

  it('bounded distance is the restricted Damerau-Levenshtein distance, capped at max + 1', () => {
    // The full matrix, as the textbook writes it (optimal string alignment).
    const osa = (a: string, b: string) => {
      const d = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
      );
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) {
          const cost = a[i - 1] === b[j - 1] ? 0 : 1;
          let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
            v = Math.min(v, d[i - 2]![j - 2]! + 1);
          d[i]![j] = v;
        }
      return d[a.length]![b.length]!;
    };
    const next = rng(5);
    const word = (n: number) => Array.from({ length: n }, () => 'abcdм'[Math.floor(next() * 5)]).join('');
    let differ = 0;
    for (let k = 0; k < 20_000; k++) {
      // Lengths up to 70, past the rows first allocated, so growing them is covered too.
      const a = word(Math.floor(next() * (k % 50 === 0 ? 70 : 14)));
      const b = next() < 0.5 ? word(a.length + Math.floor(next() * 3) - 1) : `${a.slice(1)}${a[0] ?? ''}`;
      const max = 1 + Math.floor(next() * 3);
      if (boundedDistance(a, b, max) !== Math.min(osa(a, b), max + 1)) differ++;
    }
    expect(differ).toBe(0);
  });
});

describe('scoring', () => {
  it('saturates: one word repeated is not a lead', () => {
    const once = classify('соль', lex, { context: 'marketplace' });
    const many = classify('соль соль соль соль соль соль соль соль', lex, { context: 'marketplace' });
    expect(many.score).toBe(once.score);
    const credited = many.reasons.filter((r) => r.group === 'substance' && r.contribution !== 0);
    expect(credited.length).toBe(1);
    expect(classify('соль соль соль соль соль соль соль соль', lex).lead).toBe(false);
  });

  it('needs a substance and intent on the web; a marketplace listing is an offer', () => {
    expect(classify('mephedrone', lex).lead).toBe(false);
    expect(classify('mephedrone', lex, { context: 'marketplace' }).lead).toBe(true);
    const c = classify('mephedrone', lex, { context: 'marketplace' });
    expect(c.reasons.find((r) => r.group === 'context')).toMatchObject({ term: 'marketplace' });
  });

  it('negative context shields innocent senses and damps news', () => {
    expect(classify('Соль для ванн 500 г, 350 руб', lex).lead).toBe(false);
    expect(classify('Police seized 5 kg of mephedrone and arrested two men', lex).lead).toBe(false);
  });

  it('classifies recruitment as its own kind', () => {
    expect(classify('Требуются закладчики, выплаты ежедневно', lex)).toMatchObject({
      lead: true,
      kind: 'recruitment',
    });
  });

  it('uses the title too', () => {
    const c = classify('1g $40, stealth shipping', lex, { title: 'MDMA crystals' });
    expect(c.lead).toBe(true);
    expect(c.reasons.find((r) => r.group === 'substance')?.in).toBe('title');
  });
});

describe('innocent senses, shop structure and recruitment', () => {
  it('an innocent sense explains weak slang away everywhere in the text, never strong names', () => {
    const salt = classify('Соль поваренная йодированная, 1 кг. Соль крупная, кристаллы', lex, {
      context: 'marketplace',
    });
    expect(salt.substances).toEqual([]);
    expect(salt.lead).toBe(false);
    const mixed = classify('Скорость интернета 100 Мбит. Амфетамин 1г 3000р, закладки', lex);
    expect(mixed.substances).toContain('amphetamine');
    expect(mixed.lead).toBe(true);
  });

  it('a marketplace listing of an innocent good sold by weight is not an unnamed substance', () => {
    expect(classify('云南老冰糖 500克 18元', lex, { context: 'marketplace' }).lead).toBe(false);
    expect(classify('Blue Dream 7g', lex, { context: 'marketplace' }).lead).toBe(true);
  });

  it('a listing sold by weight that names other goods (a steroid, scales) and no substance is no unnamed drug', () => {
    const unnamed = (t: string) =>
      classify(t, lex, { context: 'marketplace' }).reasons.some((r) => r.term === 'unnamed substance');
    for (const t of ['Станозолол 10мг 100 таб', 'Stanozolol 10mg x100', 'Зергерлік таразы 0.01г']) {
      expect(unnamed(t)).toBe(false);
      expect(classify(t, lex, { context: 'marketplace' }).lead).toBe(false);
    }
    // A named substance keeps it: scales in the bundle do not make the gram innocent.
    expect(unnamed('Мефедрон 1г + весы')).toBe(true);
    // Which negative classes name goods is the lexicons' say (`scoring.goodsClasses`).
    const lexWith = (goodsClasses?: string[]) =>
      compileLexicons([
        {
          file: 't.yaml',
          data: file({
            ...(goodsClasses ? { scoring: { goodsClasses } } : {}),
            quantities: { units: ['mg'] },
            negative: [{ term: 'steroid', class: 'other-goods', weight: 0.5, forms: ['stanozolol'] }],
          }),
        },
      ]);
    const terms = (own: CompiledLexicons) =>
      classify('stanozolol 10mg', own, { context: 'marketplace' }).reasons.map((r) => r.term);
    expect(terms(lexWith())).not.toContain('unnamed substance');
    expect(terms(lexWith([]))).toContain('unnamed substance');
  });

  it('a negative term of weight 0 names the goods but is no negative context', () => {
    const text = 'Мефедрон 1г 3000₸, клад, реабилитация';
    const withTea = classify(`${text}, шай`, lex);
    expect(withTea.reasons.find((r) => r.term === 'tea')?.weight).toBe(0);
    expect(withTea.score).toBe(classify(text, lex).score);
  });

  it('short English words are not transliterated Russian slang (led ≠ лед, change ≠ чанга)', () => {
    expect(classify('LED flashlight', lex, { context: 'marketplace' }).substances).toEqual([]);
    expect(classify('Change your identity', lex, { context: 'marketplace' }).substances).toEqual([]);
    expect(classify('mefedrona', lex).substances).toEqual(['mephedrone']);
  });

  it('very short stems are not matched: опыт (experience) is not опий (opium)', () => {
    expect(classify('Опыт не нужен', lex).substances).toEqual([]);
  });

  it('a price list (prices next to quantities, three or more) is specific sale intent', () => {
    const c = classify('Hash: 1g 0.01 ฿, 5g 0.045 ฿, 10g 0.08 ฿, shipped in 48h', lex);
    expect(c.reasons.map((r) => r.term)).toContain('price list');
    expect(c.lead).toBe(true);
  });

  it('a bare number right after a quantity, or after a Chinese numeral and unit, is its price', () => {
    const prices = (t: string) =>
      classify(t, lex)
        .reasons.filter((r) => r.term === 'price')
        .map((r) => t.slice(...r.span));
    expect(prices('1g 25 3.5g 70, 0.5g 400 ming, 1гр/3500')).toEqual(['25', '70', '400 ming', '3500']);
    expect(prices('摇头丸 一粒180 每件300')).toEqual(['180', '300']);
    // A one-digit count after a quantity is no price.
    expect(prices('5 g 2 pcs, 10 g 3')).toEqual([]);
    // Thousands in the region's languages are money; Latin `k` is not (`4k video`).
    expect(prices('м.е.ф, 1-і 17к, Grammi 300 ming, 4k video')).toEqual(['17к', '300 ming']);
  });

  it('reads a substance with its dose glued on, and a price glued to the dose', () => {
    const forms = (t: string, group: string) =>
      classify(t, lex)
        .reasons.filter((r) => r.group === group)
        .map((r) => `${r.term}:${t.slice(...r.span)}`);
    expect(forms('Мефедрон1г 3500р', 'substance')).toEqual(['mephedrone:Мефедрон']);
    expect(forms('Мефедрон1г 3500р', 'intent')).toEqual(
      expect.arrayContaining(['quantity:1г', 'price:3500р']),
    );
    expect(forms('меф 1г3500р', 'intent')).toEqual(expect.arrayContaining(['quantity:1г', 'price:3500р']));
    // All glued: the name, the dose and the price.
    expect(forms('МЕФ1Г3500', 'substance')).toEqual(['mephedrone:МЕФ']);
    expect(forms('МЕФ1Г3500', 'intent')).toEqual(expect.arrayContaining(['quantity:1Г', 'price:3500']));
    expect(classify('МЕФ1Г3500', lex).lead).toBe(true);
    expect(forms('冰毒 1克500 3克1300', 'intent')).toEqual(
      expect.arrayContaining(['quantity:1克', 'price:500', 'quantity:3克', 'price:1300']),
    );
    // Not after any word: a banner's size and an ID hold no dose.
    expect(forms('LevAni1300x100 Banner', 'intent')).toEqual([]);
    expect(forms('W59HekphdnsnDzHQSJtmYM65l390+VsWQ', 'intent')).toEqual([]);
    expect(forms('p07pM7DdVcUC 2G29Oru1jQNRxL', 'intent')).toEqual(['quantity:2G']);
    expect(forms('Codeine 50x30mg', 'intent')).toContain('quantity:30mg');
    // Names with digits stay names, and weak slang does not take a number glued to it.
    expect(forms('jwh018 mdmb4en', 'substance')).toEqual(['JWH-018:jwh018']);
    expect(classify('svg+xml;utf8;base64,PD94bWwg', lex).substances).toEqual([]);
    expect(classify('iphone13 128gb, ice3', lex).substances).toEqual([]);
    // A unit glued inside an ID is none: it must end the word.
    expect(forms('Consumer key EBK0kf9ApWO6UIvt6G1bAQA9j', 'intent')).toEqual([]);
  });

  it('reads thousands grouped by spaces as one sum, but not after a word they are glued to', () => {
    const spans = (t: string, term: string) =>
      classify(t, lex)
        .reasons.filter((r) => r.term === term)
        .map((r) => t.slice(...r.span));
    expect(spans('Нурофен – 38 000 сўм, 1г 12 500, 1 200 000 тг', 'price')).toEqual([
      '38 000 сўм',
      '12 500',
      '1 200 000 тг',
    ]);
    expect(spans('x300 200mg methylone pills', 'quantity')).toEqual(['200mg']);
    // Not thousands: more than three digits before the space, or a group of other than three.
    expect(spans('1500 000 тг, 5 00 тг', 'price')).toEqual(['000 тг', '00 тг']);
  });

  it('snow removal is no cocaine, however it is paid and contacted; snow by the gram still is', () => {
    const ad = classify('Снег убираем, вывоз снега 1 машина 3000 тг, пишите в телеграм @snow_clean', lex);
    expect(ad.substances).toEqual([]);
    expect(ad.lead).toBe(false);
    expect(classify('Snow removal, driveway $40, same-day, text 555-0100', lex).substances).toEqual([]);
    expect(classify('Снег 1г 15000 тг, клад, пишите в телеграм @snow_shop', lex).substances).toEqual([
      'cocaine',
    ]);
  });

  it('wheels, coconuts, pine cones, stamps, flowers and flour for sale are what they say, unless sold by the gram', () => {
    for (const text of [
      'Колёса R16 на литых дисках, 4 шт — 120 000 тг, доставка по городу, пишите в WhatsApp',
      'Кокос свежий 1 шт 900 тг, доставка по Алматы',
      'Шишки сосновые для декора, 1 кг 2000 тг, доставка',
      'Марки для коллекции, блок 1 шт 2500 тг, пишите в телеграм @stamps_kz',
      'We deliver flowers same day, 12 roses $45, DM for orders',
      'Мука высший сорт 50 кг 12 000 тг, доставка',
    ]) {
      expect(classify(text, lex).substances, text).toEqual([]);
    }
    expect(classify('Колёса Тесла 10 шт 30 000 тг, закладка', lex).substances).toEqual(['MDMA']);
    expect(classify('Кокос 1г 15000, клад', lex).substances).toEqual(['cocaine']);
    expect(classify('Top shelf flowers 3.5g $40, same day drop', lex).substances).toEqual(['cannabis']);
    // A form transliterates: `шины` (tyres) alone would be the English `shiny`.
    expect(classify('Shiny Flakes shop: cocaine 1g 80 EUR', lex).reasons.map((r) => r.term)).not.toContain(
      'car wheels',
    );
  });

  it('a buyer saying they will buy is no seller; a seller asking who wants to buy still is', () => {
    for (const text of [
      'Looking to buy molly in Berlin, anyone?',
      'Куплю меф в Алматы, кто продаёт?',
      'Меф сатып аламын Алматы, кім сатады?',
      '求购冰毒，谁有卖',
    ]) {
      const c = classify(text, lex);
      expect(c.lead, text).toBe(false);
      expect(
        c.reasons.map((r) => r.term),
        text,
      ).toContain('buyer asking');
    }
    for (const text of [
      'Selling molly, who wants to buy? 10 for 100',
      'Продам меф 1г 3500р, кто хочет купить — пишите',
    ]) {
      expect(classify(text, lex).lead, text).toBe(true);
    }
  });

  it('a dead drop arranged in two words carries an unnamed substance, unless anything says otherwise', () => {
    const review = classify('Отзыв клиента: клад целый, магнит на месте. Заказывайте в боте', lex);
    expect(review).toMatchObject({ lead: true, kind: 'sale', substances: [] });
    expect(review.reasons.map((r) => r.term)).toContain('unnamed substance');
    // One dead-drop word is not enough (a magnet), nor two with negative context (bookmarks).
    expect(classify('Магнитный держатель, магнит сильный, 900 ₽, пишите в лс', lex).lead).toBe(false);
    expect(classify('Магнитные закладки для книг, магнит крепкий, 300 ₽', lex).lead).toBe(false);
  });

  it('"there is" right after a drug offers it (героин бар, nasha bor, меф есть), as a whole word', () => {
    const terms = (t: string) => classify(t, lex).reasons.map((r) => r.term);
    expect(classify('Павлодарда героин бар, сапасы жақсы', lex).lead).toBe(true);
    expect(terms('Павлодарда героин бар, сапасы жақсы')).toContain('offer next to substance');
    // `барлық` ("all") is another word.
    expect(terms('Героин барлық елдерде тыйым салынған')).not.toContain('offer next to substance');
    // A question asks for it: `кимде чарс бар?` ("who has hashish?").
    expect(terms('Ошто кимде чарс бар? Баары жоголуп кетти')).not.toContain('offer next to substance');
    // Lookalike letters do not hide it.
    expect(terms('Героин ҳacт, Кӯлоб')).toContain('offer next to substance');
  });

  it('two or more substances named by emoji are a menu: sale intent', () => {
    const menu = classify('Астанада ❄️💎🍀 бар, түнде де, жазыңдар', lex);
    expect(menu.lead).toBe(true);
    expect(menu.reasons.map((r) => r.term)).toContain('emoji menu');
    // One emoji is everyday chat, however often it is repeated.
    expect(classify('С Новым годом ❄️❄️❄️ всем тепла', lex).reasons.map((r) => r.term)).not.toContain(
      'emoji menu',
    );
  });

  it('dead drops in a police report do not offset the news context', () => {
    const news =
      'Полиция задержала закладчика: изъято 2 кг мефедрона, тайники в трёх районах. Возбуждено уголовное дело.';
    expect(classify(news, lex).lead).toBe(false);
  });

  it('hiring words with the name Telegram are no dead-drop logistics', () => {
    // Telegram named alone is reported intent like a dead drop, but not a dead drop.
    expect(
      classify('Вакансия: водитель. Связь через Telegram', lex).reasons.map((r) => r.term),
    ).not.toContain('hiring for dead drops');
  });

  it('hiring words with dead-drop logistics are courier recruitment, in any of the languages', () => {
    expect(classify('Жұмыс бар: закладка жасайтын курьерлер керек', lex)).toMatchObject({
      lead: true,
      kind: 'recruitment',
    });
    // A shop delivering by courier or stash is still a sale.
    expect(classify('Трамадол 100 мг, 8000 ₸. Доставка курьером или закладкой', lex).kind).toBe('sale');
  });

  it('Turkic suffixes on Russian loanwords are stripped when their letters show it (мефті, курерҳо)', () => {
    expect(classify('Мефті алу үшін ботқа жазыңыз', lex).substances).toEqual(['mephedrone']);
    expect(classify('метка', lex).substances).toEqual([]);
    expect(classify('Ҳероини хушсифат', lex).substances).toEqual(['heroin']);
  });
});

describe('compiling', () => {
  it('rejects explains on a non-negative term and explains of an unknown substance', () => {
    const bad = file({ intent: [{ term: 'x', forms: ['foo'], explains: ['mephedrone'] }] });
    expect(() => compileLexicons([{ file: 'x.yaml', data: bad }])).toThrow(/intent\.0\.explains/);
    const unknown = file({ negative: [{ term: 'x', forms: ['foo'], explains: ['nothing'] }] });
    expect(() => compileLexicons([{ file: 'x.yaml', data: unknown }])).toThrow(/negative\.0\.explains\.0/);
  });

  it('compiles in under a second with a short content hash', () => {
    expect(lex.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('rejects a form that means two terms', () => {
    const data = file({
      substances: [
        { term: 'a', class: 'cathinone', forms: ['foo'] },
        { term: 'b', class: 'cathinone', forms: ['foo'] },
      ],
    });
    expect(() => compileLexicons([{ file: 'x.yaml', data }])).toThrow(ConfigError);
  });

  it('rejects a substance class without a category, naming the field', () => {
    const data = file({ substances: [{ term: 'a', class: 'mystery', forms: ['foo'] }] });
    expect(() => compileLexicons([{ file: 'x.yaml', data }])).toThrow(/substances\.0\.class/);
  });

  it('rejects scoring in two files', () => {
    const data = file({ scoring: { threshold: 0.6 } });
    expect(() =>
      compileLexicons([
        { file: 'a.yaml', data },
        { file: 'b.yaml', data },
      ]),
    ).toThrow(/one file only/);
  });

  it('rejects digit-only forms in the schema', () => {
    expect(
      lexiconFileSchema.safeParse({ substances: [{ term: 'a', class: 'ats', forms: ['3,4'] }] }).success,
    ).toBe(false);
  });

  it('the automaton finds overlapping patterns in one pass', () => {
    const a = new Automaton(['he', 'she', 'hers', '冰毒']);
    const hits: string[] = [];
    a.search('ushers 买冰毒', (id, s, e) => hits.push(`${id}:${s}-${e}`));
    expect(hits).toEqual(['1:1-4', '0:2-4', '2:2-6', '3:8-10']);
  });
});

// Crawled text is hostile, and Chinese pages have no spaces: one word may be a whole page. Whatever was
// read "after" each match (the next word, the word after a number) was then the rest of the page, so
// time grew with the square of the page: 200,000 characters of `冰d` took minutes, not milliseconds.
// The bound below is tens of times what these take, and far below what they took.
describe('hostile text', () => {
  it('a page-long word naming substances and quantities over and over is read in linear time', () => {
    const pages = ['冰d'.repeat(100_000), 'g水1'.repeat(66_666), 'мефесть1г'.repeat(22_222)];
    const started = performance.now();
    const found = pages.map((p) => classify(p, lex).substances);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(found[0]).toContain('methamphetamine');
    expect(found[1]).toContain('GHB');
  });

  it('units, currencies and multipliers are at most 32 characters (the word after a number is read that far)', () => {
    expect(() => file({ quantities: { units: ['x'.repeat(33)] } })).toThrow(/32/);
    expect(file({ quantities: { currencies: ['y'.repeat(32)] } }).quantities?.currencies).toHaveLength(1);
  });
});
