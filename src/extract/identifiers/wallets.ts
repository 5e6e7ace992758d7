import { type Candidate, PRIORITY, before, candidate } from './context.ts';

/**
 * E-wallet account numbers that only mean something next to the wallet's name:
 * - Payeer: `P` + 7–12 digits, with "payeer"/"пайер" within 60 characters before;
 * - Perfect Money: `U`/`E`/`G` + 7–8 digits, with "perfect money"/"перфект"/"PM" before.
 * QIWI (a phone number after "qiwi"/"киви") and YooMoney (`410…` after "yoomoney"/"юmoney") are
 * digit runs and come from `digits.ts`.
 */

const PAYEER_RE = /(?<![\p{L}\p{N}_])P(\d{7,12})(?!\d)/gu;
const PM_RE = /(?<![\p{L}\p{N}_])([UEG])(\d{7,8})(?!\d)/gu;
// Case-insensitive: lower-casing the whole page to test them took longer than both tests.
const PAYEER_WORD = /payeer|пайер|пейер/iu;
const PM_WORD = /perfect\s?money|perfectmoney|перфект|(?<!\p{L})pm(?!\p{L})|(?<!\p{L})пм(?!\p{L})/iu;

export function extractWallets(text: string): Candidate[] {
  const out: Candidate[] = [];
  const payeer = PAYEER_WORD.test(text);
  const pm = PM_WORD.test(text);
  if (!payeer && !pm) return out;
  for (const m of payeer ? text.matchAll(PAYEER_RE) : []) {
    if (!PAYEER_WORD.test(before(text, m.index, 60))) continue;
    const end = m.index + m[0].length;
    out.push(candidate('payeer', m[0], m.index, end, 'syntax+keyword', false, PRIORITY.wallet));
  }
  for (const m of pm ? text.matchAll(PM_RE) : []) {
    if (!PM_WORD.test(before(text, m.index, 60))) continue;
    const end = m.index + m[0].length;
    out.push(candidate('perfectmoney', m[0], m.index, end, 'syntax+keyword', false, PRIORITY.wallet));
  }
  return out;
}
