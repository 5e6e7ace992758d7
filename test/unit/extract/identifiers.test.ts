import { describe, expect, it } from 'vitest';
import { extractIdentifiers, identifiersWrittenAs } from '../../../src/extract/identifiers/index.ts';
import { rng, toxId } from '../../fixtures/identifiers/generate.ts';
import { NEGATIVES, POSITIVES } from '../../fixtures/identifiers/cases.ts';

describe('extractIdentifiers: real-format positives', () => {
  it('has at least 60 positives and 60 near misses', () => {
    expect(POSITIVES.length).toBeGreaterThanOrEqual(60);
    expect(NEGATIVES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(POSITIVES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const got = extractIdentifiers(c.text);
    for (const want of c.expect) {
      const hit = got.find((g) => g.type === want.type && g.value === want.value);
      expect(hit, `${want.type}:${want.value} in ${JSON.stringify(got)}`).toBeDefined();
      if (want.deobfuscated !== undefined) expect(hit?.deobfuscated).toBe(want.deobfuscated);
    }
    // Nothing beyond what the case expects.
    expect(got.map((g) => `${g.type}:${g.value}`).sort()).toEqual(
      c.expect.map((w) => `${w.type}:${w.value}`).sort(),
    );
  });
});

describe('extractIdentifiers: near misses are not identifiers', () => {
  it.each(NEGATIVES.map((c) => [c.name, c.text] as const))('%s', (_name, text) => {
    expect(extractIdentifiers(text)).toEqual([]);
  });
});

describe('extractIdentifiers: spans, order, deduplication', () => {
  it('spans point into the original text, also for de-obfuscated forms and over zero-width characters', () => {
    const spans = (text: string) =>
      extractIdentifiers(text).map((g) => [text.slice(g.span[0], g.span[1]), g.deobfuscated]);
    expect(spans('Пиши @ m e f _ s h o p или t . me/mef_kz, тг: almaty_24')).toEqual([
      ['@ m e f _ s h o p', true],
      ['t . me/mef_kz', true],
      ['almaty_24', true],
    ]);
    // Read without the invisible characters, mapped back over them.
    expect(
      spans('\u200bBTC:\u200b bc1qar0srrr7xfk\u200b\u200bvy5l643lydnw9re59gtzzwf5mdq, tg @mef_shop'),
    ).toEqual([
      ['bc1qar0srrr7xfk\u200b\u200bvy5l643lydnw9re59gtzzwf5mdq', true],
      ['@mef_shop', false],
    ]);
    // The classifier's invisible set: bidi isolates and overrides, a Hangul filler, a variation
    // selector, and a tag character (two code units: the spans after it still map back).
    expect(
      spans(
        'BTC bc1qar0srrr7xfk\u2066\u2069vy5l643lydnw9re59\u202egtzzwf5mdq, тг @mef\u3164_sh\ufe0fop, ' +
          'почта mef\u{e0041}shop@proton.me',
      ),
    ).toEqual([
      ['bc1qar0srrr7xfk\u2066\u2069vy5l643lydnw9re59\u202egtzzwf5mdq', true],
      ['@mef\u3164_sh\ufe0fop', true],
      ['mef\u{e0041}shop@proton.me', true],
    ]);
  });

  it('reads letters and digits written in fancy forms as the ASCII they pass for, spans on the page', () => {
    const found = (text: string) =>
      extractIdentifiers(text).map((g) => [
        g.type,
        g.value,
        text.slice(g.span[0], g.span[1]),
        g.deobfuscated,
      ]);
    expect(
      found(
        'тг @𝗺𝗲𝗳_𝘀𝗵𝗼𝗽 (жирный шрифт), тел 𝟴 𝟳𝟬𝟱 𝟭𝟭𝟭 𝟮𝟮 𝟯𝟯, резерв 8️⃣7️⃣0️⃣5️⃣1️⃣1️⃣1️⃣2️⃣2️⃣3️⃣4️⃣ ' +
          'канал ｔ.ｍｅ/ｍｅｆ＿ｋｚ почта 🅼🅴🅵@proton.me',
      ),
    ).toEqual([
      ['telegram', 'mef_shop', '@𝗺𝗲𝗳_𝘀𝗵𝗼𝗽', true],
      ['phone', '+77051112233', '𝟴 𝟳𝟬𝟱 𝟭𝟭𝟭 𝟮𝟮 𝟯𝟯', true],
      ['phone', '+77051112234', '8️⃣7️⃣0️⃣5️⃣1️⃣1️⃣1️⃣2️⃣2️⃣3️⃣4', true],
      ['telegram', 'mef_kz', 'ｔ.ｍｅ/ｍｅｆ＿ｋｚ', true],
      ['email', 'mef@proton.me', '🅼🅴🅵@proton.me', true],
    ]);
    // Fullwidth Latin in Chinese text: the slang for Telegram and the handle itself.
    expect(found('联系ＴＧ：mef_kz，飞机号 ｍｅｆ＿ｋｚ2')).toEqual([
      ['telegram', 'mef_kz', 'mef_kz', true],
      ['telegram', 'mef_kz2', 'ｍｅｆ＿ｋｚ2', true],
    ]);
    // Parenthesised letters: NFKC writes `⒨` as `(m)`, which no handle holds.
    expect(found('тг @⒨⒠⒡_⒮⒣⒪⒫, почта ⒨⒠⒡@proton.me')).toEqual([
      ['telegram', 'mef_shop', '@⒨⒠⒡_⒮⒣⒪⒫', true],
      ['email', 'mef@proton.me', '⒨⒠⒡@proton.me', true],
    ]);
  });

  it('reads what an analyst pastes as the identifier it is, a bare Tox ID too', () => {
    const tox = toxId(rng(21));
    const written = (ref: string) => identifiersWrittenAs(ref).map((i) => `${i.type}:${i.value}`);
    expect(written(' https://t.me/Mef_Shop ')).toEqual(['telegram:mef_shop']);
    // On a page a Tox ID needs the word `tox`; pasted alone, in either case, it is one.
    expect(written(tox.toLowerCase())).toEqual([`tox:${tox}`]);
    expect(written(tox)).toEqual([`tox:${tox}`]);
    expect(written(`${tox.slice(0, 75)}${tox.endsWith('0') ? '1' : '0'}`)).toEqual([]);
    expect(written('t.me/mef_shop and more')).toEqual([]);
  });

  it('returns one entry per (type, value) with the first span, sorted by start', () => {
    const text = 'tg @Mef_Shop ... https://t.me/mef_shop ... +7 701 123 45 67 / 8 701 123 45 67';
    const got = extractIdentifiers(text);
    expect(got).toEqual([
      { type: 'telegram', value: 'mef_shop', span: [3, 12], validated: 'syntax', deobfuscated: false },
      {
        type: 'phone',
        value: '+77011234567',
        span: [43, 59],
        validated: 'libphonenumber:KZ',
        deobfuscated: false,
      },
    ]);
  });

  it('labels how each identifier was validated', () => {
    const text =
      'BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa ETH 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed ' +
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0 BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4 ' +
      'Карта МИР 2200 1234 5678 9019 @shop_bot';
    const byType = Object.fromEntries(
      extractIdentifiers(text).map((g) => [g.value.slice(0, 6), g.validated]),
    );
    expect(byType).toMatchObject({
      '1A1zP1': 'base58check',
      '0x5aAe': 'eip55',
      bc1p0x: 'bech32m',
      bc1qw5: 'bech32',
      '220012': 'luhn+iin:mir',
      shop_b: 'syntax:bot',
    });
  });

  it('puts a checksum-case value on a lower-case ETH address', () => {
    const [id] = extractIdentifiers('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed');
    expect(id?.value).toBe('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
    expect(id?.validated).toBe('hex-lowercase');
  });

  it('keeps a handle that is part of an e-mail out of Telegram', () => {
    expect(extractIdentifiers('пишите mef_shop@gmail.com')).toEqual([
      { type: 'email', value: 'mef_shop@gmail.com', span: [7, 25], validated: 'syntax', deobfuscated: false },
    ]);
  });

  it('does not read the base64 of a PGP block as addresses or handles', () => {
    const text =
      '-----BEGIN PGP PUBLIC KEY BLOCK----- Version: X mQINBF@abcdefg 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa =abcd -----END PGP PUBLIC KEY BLOCK-----';
    const got = extractIdentifiers(text);
    expect(got).toHaveLength(1);
    expect(got[0]?.type).toBe('pgp');
    expect(got[0]?.validated).toBe('sha256-armor');
  });

  it('cuts a run of digits into the identifiers it holds', () => {
    const got = extractIdentifiers('Kaspi 4400 4302 1234 5679 12/27, звоните 8 701 123 45 67 2 шт');
    expect(got.map((g) => [g.type, g.value])).toEqual([
      ['card', '4400430212345679'],
      ['phone', '+77011234567'],
    ]);
  });

  it('needs card context for an ungrouped card number', () => {
    expect(extractIdentifiers('код 4276380012345679')).toEqual([]);
    expect(extractIdentifiers('Сбербанк 4276380012345679')[0]?.validated).toBe('luhn+iin:visa');
    expect(extractIdentifiers('4276 3800 1234 5679')[0]?.type).toBe('card');
    expect(extractIdentifiers('Заказ № 4276 3800 1234 5679')).toEqual([]);
  });

  it('handles empty and identifier-free text', () => {
    expect(extractIdentifiers('')).toEqual([]);
    expect(extractIdentifiers('Просто текст без контактов, цена 5 000 ₸.')).toEqual([]);
  });

  it('stays fast on hostile input (no catastrophic backtracking)', () => {
    const inputs = [
      '1 '.repeat(50_000),
      '@'.repeat(100_000),
      `${'a'.repeat(100_000)}@`,
      '(1)'.repeat(30_000),
    ];
    inputs.push('-----BEGIN PGP PUBLIC KEY BLOCK-----'.repeat(3000), `x [at] ${'a [dot] '.repeat(10_000)}`);
    const t0 = performance.now();
    for (const t of inputs) extractIdentifiers(t);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('extractIdentifiers: hostile text', () => {
  // Every candidate was checked against every one kept before it: a page of thousands of handles cost
  // their number squared (400,000 characters of `t.me@` took seconds). Now only the ones near it.
  it('thousands of overlapping candidates are resolved in linear time', () => {
    const text = 't.me@'.repeat(80_000);
    const started = performance.now();
    const found = extractIdentifiers(text);
    expect(performance.now() - started).toBeLessThan(3_000);
    const handles = extractIdentifiers(Array.from({ length: 5_000 }, (_, i) => `@shop_${i}`).join(' '));
    expect(handles).toHaveLength(5_000);
    expect(found.length).toBeLessThan(text.length);
  });
});
