import { before, lastMatchEnd } from './context.ts';

/**
 * Bank cards. A digit sequence is a card only when ALL of these hold:
 *
 * 1. 13–19 digits that pass the Luhn check, and no `+` in front (that is a phone);
 * 2. the prefix and length fit an issuer range this region uses (`issuerOf`);
 * 3. either it is written in card-like grouping — 16–19 digits in blocks of four (last block 1–4),
 *    or 16 as 4-4-2-2-2-2, separated by one consistent space, dash or dot — or a card word (карта, card, visa, сбер,
 *    kaspi, uzcard, humo, 卡…) sits within 60 characters before or 30 after it;
 * 4. the nearest keyword before it is not an order/phone/reference word (заказ, order, №, tel,
 *    ИНН, ISBN, трек, артикул, tx…). A bare `№`/`#` only vetoes when no card word is near.
 *
 * So a Luhn-valid order number ("Заказ №4276380012345678"), an ungrouped 16-digit id, a price or
 * a date never becomes a card, while "4276 3800 1234 5678" or "Kaspi 4400430212345678" does.
 */

export interface Issuer {
  name: string;
  lengths: readonly number[];
}

const VISA: Issuer = { name: 'visa', lengths: [13, 16, 19] };
const MASTERCARD: Issuer = { name: 'mastercard', lengths: [16] };
const MIR: Issuer = { name: 'mir', lengths: [16, 17, 18, 19] };
const UNIONPAY: Issuer = { name: 'unionpay', lengths: [16, 17, 18, 19] };
const UZCARD: Issuer = { name: 'uzcard', lengths: [16] };
const HUMO: Issuer = { name: 'humo', lengths: [16] };
const AMEX: Issuer = { name: 'amex', lengths: [15] };

/** The issuer whose range holds `digits` at its length, or null. */
export function issuerOf(digits: string): Issuer | null {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  let issuer: Issuer | null = null;
  if (digits[0] === '4') issuer = VISA;
  else if (p2 >= 51 && p2 <= 55) issuer = MASTERCARD;
  else if (p4 >= 2200 && p4 <= 2204) issuer = MIR;
  else if (p4 >= 2221 && p4 <= 2720) issuer = MASTERCARD;
  else if (p2 === 62) issuer = UNIONPAY;
  else if (p4 === 8600) issuer = UZCARD;
  else if (p4 === 9860) issuer = HUMO;
  else if (p2 === 34 || p2 === 37) issuer = AMEX;
  return issuer?.lengths.includes(n) ? issuer : null;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const CARD_WORD = new RegExp(
  [
    'карт',
    'card',
    'visa',
    'виза',
    'master',
    'мастер',
    'maestro',
    '(?<!\\p{L})(?:мир|mir)(?!\\p{L})',
    'сбер',
    'sber',
    'тинькоф',
    'tinkoff',
    'т-банк',
    'tbank',
    'альфа',
    'alfa',
    'втб',
    'vtb',
    'kaspi',
    'каспи',
    'halyk',
    'халык',
    'jusan',
    'forte',
    'uzcard',
    'узкард',
    'humo',
    'хумо',
    'unionpay',
    '银联',
    '卡',
    'оплат',
    'перевод',
    'payment',
    'pay to',
    'пополн',
  ].join('|'),
  'gu',
);
const B = '(?<![\\p{L}\\p{N}])';
const E = '(?![\\p{L}\\p{N}])';
const NEGATIVE_WORD = new RegExp(
  `${B}(?:tel|тел|phone|моб|inn|инн|isbn|id|tx|txid|sku|арт|бин|bin|бик|bik|кпп|огрн|iban)${E}` +
    '|заказ|order|телефон|whatsapp|ватсап|трек|track|артикул|invoice|накладн|ттн|hash|хеш|хэш|счет|счёт|снилс|паспорт|passport',
  'gu',
);
const NUMBER_SIGN = /№|#/g;

/** Card context: `card` when a card word is near, `veto` when an order/phone word is nearest before. */
export function cardContext(text: string, start: number, end: number): 'card' | 'veto' | 'none' {
  const pre = before(text, start, 60);
  const post = text.slice(end, end + 30).toLowerCase();
  const cardAt = lastMatchEnd(CARD_WORD, pre);
  const negAt = lastMatchEnd(NEGATIVE_WORD, pre);
  if (negAt > cardAt) return 'veto';
  CARD_WORD.lastIndex = 0;
  const cardNear = cardAt >= 0 || CARD_WORD.test(post);
  if (!cardNear && lastMatchEnd(NUMBER_SIGN, pre.slice(-15)) >= 0) return 'veto';
  return cardNear ? 'card' : 'none';
}

/** Block lengths and separators of a written number, e.g. "4276 3800 1234 5678" -> [4,4,4,4], [' ']. */
export interface Shape {
  groups: number[];
  seps: string[];
}

/**
 * True for 16–19 digits in blocks of four, or 16 digits as 4-4-2-2-2-2 (the last eight split in
 * pairs to slip past filters), with one consistent space, dash or dot separator.
 */
export function isCardGrouping(shape: Shape): boolean {
  const { groups, seps } = shape;
  const sep = seps[0];
  if (sep === undefined || !seps.every((s) => s === sep) || !/^(?: |-|\.| - |\u00a0)$/.test(sep))
    return false;
  if (isPairedCardGrouping(shape)) return true;
  if (groups.length < 4 || groups.length > 5) return false;
  const last = groups[groups.length - 1] ?? 0;
  return groups.slice(0, -1).every((g) => g === 4) && last >= 1 && last <= 4;
}

/** 4-4-2-2-2-2: a 16-digit card with its last eight digits split in pairs. */
function isPairedCardGrouping(shape: Shape): boolean {
  return shape.groups.join('-') === '4-4-2-2-2-2';
}

/** Grouping nobody writes a card in (single spaced digits, odd blocks, pairs, dots): marks de-obfuscation. */
export function isOddCardGrouping(shape: Shape): boolean {
  if (shape.groups.length === 1) return false;
  if (isPairedCardGrouping(shape)) return true;
  if (isCardGrouping(shape)) return shape.seps[0] === '.';
  // Amex 4-6-5 is a normal way to write it.
  return !(shape.groups.join('-') === '4-6-5');
}

/**
 * Validation label for a card, or null when it is not one. `shape` is how it was written,
 * `ctx` from `cardContext`.
 */
export function checkCard(digits: string, shape: Shape, ctx: 'card' | 'veto' | 'none'): string | null {
  if (ctx === 'veto' || digits.length < 13 || digits.length > 19) return null;
  if (/^(\d)\1+$/.test(digits)) return null;
  const issuer = issuerOf(digits);
  if (!issuer || !luhn(digits)) return null;
  if (ctx !== 'card' && !(digits.length >= 16 && isCardGrouping(shape))) return null;
  return `luhn+iin:${issuer.name}`;
}
