import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import { before, lastMatchEnd } from './context.ts';
import type { Shape } from './cards.ts';

/**
 * Phone numbers, validated with libphonenumber's full ("max") metadata and returned in E.164.
 *
 * - Written with `+`: any number libphonenumber calls valid.
 * - Otherwise never when an order/reference word is the nearest keyword before it, or a currency or
 *   unit follows it (a price).
 * - `8` + 10 digits (RU/KZ trunk prefix, "8 701 123 45 67", "89123456789"): valid as RU/KZ.
 * - Country code without `+` ("7 701…", "996 555…", "998…", "992…", "86…"): valid, and written in
 *   phone-like grouping or with a phone word (тел, phone, whatsapp, 电话…) nearby.
 * - National numbers of the hinted regions: valid for that region and a phone word nearby. The
 *   regions are CN next to Chinese script, else KZ, RU, KG, UZ, TJ; ten-digit +7 numbers without
 *   trunk prefix only in mobile ranges. A bare 9–11 digit run is too often an id (QQ, order, INN).
 */

export const PHONE_REGIONS: readonly CountryCode[] = ['KZ', 'RU', 'KG', 'UZ', 'TJ', 'CN'];

const PHONE_WORD = new RegExp(
  '(?<![\\p{L}\\p{N}])(?:tel|тел|моб|mob|sms|смс|call|wa|qiwi|киви)(?![\\p{L}\\p{N}])' +
    '|phone|телефон|mobile|whatsapp|ватсап|вотсап|watsap|viber|вайбер|звон|контакт|contact|связь|' +
    'signal|сигнал|номер тел|电话|手机|微信|联系|☎|📞|📱',
  'gu',
);
const NEGATIVE_WORD = new RegExp(
  '(?<![\\p{L}\\p{N}])(?:inn|инн|isbn|id|tx|sku|арт|бин|бик|кпп|огрн|iban)(?![\\p{L}\\p{N}])' +
    '|заказ|order|трек|track|артикул|invoice|накладн|ттн|hash|хеш|хэш|счет|счёт|снилс|паспорт|passport|' +
    '(?<![\\p{L}\\p{N}])qq(?![\\p{L}\\p{N}])|№|#',
  'gu',
);
const PRICE_AFTER =
  /^\s?(?:₸|₽|\$|€|¥|元|%|руб|р\.|тг|тенге|тнг|сом|сум|so'?m|usd|usdt|eur|rub|kzt|uzs|btc|шт|гр|г\.|кг|kg|мг|mg|km|км)/i;

export type PhoneContext = 'phone' | 'veto' | 'none';

export function phoneContext(text: string, start: number, end: number): PhoneContext {
  if (PRICE_AFTER.test(text.slice(end, end + 8))) return 'veto';
  const pre = before(text, start, 40);
  const phoneAt = lastMatchEnd(PHONE_WORD, pre);
  const negAt = lastMatchEnd(NEGATIVE_WORD, pre);
  if (negAt > phoneAt) return 'veto';
  return phoneAt >= 0 ? 'phone' : 'none';
}

/** Written like a phone: three or more blocks, not thousands grouping ("1 500 000"), or a bracket. */
export function isPhoneGrouping(shape: Shape): boolean {
  if (shape.seps.some((s) => s.includes('('))) return true;
  const { groups } = shape;
  if (groups.length < 3) return false;
  const thousands = (groups[0] ?? 0) <= 3 && groups.slice(1).every((g) => g === 3);
  return !thousands;
}

export interface PhoneMatch {
  value: string;
  validated: string;
}

function parse(input: string, region?: CountryCode): PhoneMatch | null {
  const p = region ? parsePhoneNumberFromString(input, region) : parsePhoneNumberFromString(input);
  if (!p?.isValid()) return null;
  return { value: p.number, validated: `libphonenumber:${p.country ?? `+${p.countryCallingCode}`}` };
}

/** E.164 value and validation label for a written number, or null. */
export function checkPhone(
  digits: string,
  hasPlus: boolean,
  shape: Shape,
  ctx: PhoneContext,
  /**
   * The regions to read a national number in, in order (asked only for one; `named`: may the country
   * the page names go first, see `regionsNear`).
   */
  regions: (named: boolean) => readonly CountryCode[] = () => PHONE_REGIONS,
): PhoneMatch | null {
  const n = digits.length;
  if (n < 9 || n > 15) return null;
  if (hasPlus) return parse(`+${digits}`);
  if (ctx === 'veto') return null;
  if (n === 11 && digits[0] === '8') {
    const p = parse(digits, 'RU');
    if (p && (p.validated.endsWith(':RU') || p.validated.endsWith(':KZ'))) return p;
  }
  const grouped = isPhoneGrouping(shape);
  if ((grouped || ctx === 'phone') && /^(?:7|99[2568]|86)/.test(digits)) {
    const p = parse(`+${digits}`);
    if (p) return p;
  }
  if (ctx === 'phone' || (grouped && n === 11 && digits[0] === '1')) {
    // Only nine digits are a valid number in more than one of KG, UZ, TJ.
    for (const region of regions(n === 9)) {
      if (!NATIONAL_SHAPE[region]?.test(digits)) continue;
      const p = parse(digits, region);
      if (p) return p;
    }
  }
  return null;
}

/**
 * How a national number of each hinted region is written, so a number is only tried where it fits:
 * +7 without trunk prefix in mobile ranges only (7xx KZ, 9xx RU; "(800) 555-0199" from an English
 * page is not a Russian toll-free line), KG with trunk 0, CN mobiles 1[3-9] or 0-prefixed lines.
 */
const NATIONAL_SHAPE: Partial<Record<CountryCode, RegExp>> = {
  KZ: /^7\d{9}$/,
  RU: /^9\d{9}$/,
  KG: /^(?:0\d{9}|[1-9]\d{8})$/,
  UZ: /^[1-9]\d{8}$/,
  TJ: /^[1-9]\d{8}$/,
  CN: /^(?:1[3-9]\d{9}|0\d{9,11})$/,
};

const CJK = /[\u3400-\u9fff]/;
const CN_ONLY: readonly CountryCode[] = ['CN'];
const NOT_CN: readonly CountryCode[] = PHONE_REGIONS.filter((r) => r !== 'CN');

/**
 * What names a country whose national numbers share one shape (nine digits: `99 890 12 34` is a valid
 * number in Kyrgyzstan and in Uzbekistan): its cities, its currency, its language's own letters.
 */
const COUNTRY_CLUES: ReadonlyArray<[CountryCode, RegExp]> = [
  [
    'UZ',
    /toshkent|ташкент|samarqand|самарканд|самарқанд|buxoro|бухар|andijon|андижан|namangan|наманган|farg['ʻ’]ona|фаргона|фергана|so['ʻ’]m|сўм|uzcard|humo|o['ʻ’]zbek|ўзбек|узбекистан|ў/i,
  ],
  ['TJ', /душанбе|dushanbe|худжанд|хуҷанд|khujand|сомонӣ|somoni|тоҷик|таджикистан|tojik|[ӣӯҷ]/i],
  // Not by letters: Kyrgyz ң ө ү are Kazakh letters too.
  ['KG', /бишкек|bishkek|каракол|karakol|жалал-абад|кыргыз|киргиз|kyrgyz|элкарт|elcart/i],
];
/** The last text `regionsNear` read, and the order it gave: a page's numbers are read one after another. */
let cluesOf: { text: string; order: readonly CountryCode[] } = { text: '', order: NOT_CN };

/**
 * Region hints for a national number: CN next to Chinese script; elsewhere KZ, RU, KG, UZ, TJ, with
 * first the countries the page names (its cities, currency, letters), so an Uzbek shop's `99 890 12 34`
 * is Uzbek and not the Kyrgyz number the same digits make.
 */
export function regionsNear(
  text: string,
  start: number,
  end: number,
  named: boolean,
): readonly CountryCode[] {
  if (CJK.test(text.slice(Math.max(0, start - 40), end + 40))) return CN_ONLY;
  if (!named) return NOT_CN;
  if (cluesOf.text !== text) {
    const countries = COUNTRY_CLUES.filter(([, re]) => re.test(text)).map(([c]) => c);
    // Two or three named: none decides.
    const order =
      countries.length === 1 ? [countries[0]!, ...NOT_CN.filter((r) => r !== countries[0])] : NOT_CN;
    cluesOf = { text, order };
  }
  return cluesOf.order;
}

/** Digits written one by one ("8 7 0 1 …") count as de-obfuscated. */
export function isSpacedDigits(shape: Shape): boolean {
  return shape.groups.filter((g) => g === 1).length >= 5;
}
