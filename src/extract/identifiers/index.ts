import { INVISIBLE, INVISIBLE_SOURCE, enclosedLetter, isLetterAt } from '../../unicode.ts';
import type { Identifier } from '../types.ts';
import type { Candidate } from './context.ts';
import { extractCrypto } from './crypto.ts';
import { extractDigits } from './digits.ts';
import { extractTelegram } from './handles.ts';
import { extractMessengers, toxIds } from './messengers.ts';
import { extractPgp } from './pgp.ts';
import { extractFromHrefs } from './uris.ts';
import { extractWallets } from './wallets.ts';

export { issuerOf, luhn } from './cards.ts';
export { isMoneroAddress, toChecksumAddress } from './crypto.ts';
export { PHONE_REGIONS } from './phones.ts';
export { telegramUsername } from './handles.ts';
export { fingerprintOfPacket } from './pgp.ts';

/**
 * Payment and contact identifiers in `text`, each validated (checksum, Luhn + issuer range,
 * libphonenumber, or syntax next to a keyword) and normalised to the value two pages must share to
 * be linked. One entry per distinct (type, value), with the span of its first occurrence, sorted
 * by span start. Spans are [start, end) offsets into `text` itself, also for de-obfuscated forms.
 *
 * When candidates from different extractors overlap, the higher priority wins (a PGP block over the
 * base58 inside it, an address over a handle, a keyword-anchored Wickr name over the same `@name`);
 * a phone and the QIWI wallet written as that phone share their span.
 */
export function extractIdentifiers(text: string): Identifier[] {
  if (!DISGUISED.test(text)) return extractVisible(text);
  // Invisible characters slipped inside an address or a handle (`bc1q…\u200b…`) and letters and
  // digits written in other forms (`ｔ.ｍｅ/ｍｅｆ`, `𝗺𝗲𝗳_𝘀𝗵𝗼𝗽`, `8️⃣7️⃣0️⃣`) break every pattern: the
  // text is read as it passes for (`readAs`), and spans mapped back to `text` (`deobfuscated`).
  // Per edit, in order: where it starts and ends in the text read, and in `text`.
  const readAt: number[] = [];
  const readEnd: number[] = [];
  const origAt: number[] = [];
  const origEnd: number[] = [];
  let delta = 0;
  const read = text.replace(DISGUISED_G, (ch: string, at: number) => {
    const out = readAs(ch);
    readAt.push(at + delta);
    readEnd.push(at + delta + out.length);
    origAt.push(at);
    origEnd.push(at + ch.length);
    delta += out.length - ch.length;
    return out;
  });
  /** The offset in `text` where the character at `p` in `read` starts (`end`: ends). */
  const back = (p: number, end: boolean) => {
    const k = countAtMost(readEnd, p);
    if (k < readAt.length && readAt[k]! <= p) return end ? origEnd[k]! : origAt[k]!;
    return (k === 0 ? p : p - readEnd[k - 1]! + origEnd[k - 1]!) + (end ? 1 : 0);
  };
  return extractVisible(read).map((id) => {
    const [s, e] = id.span;
    const start = back(s, false);
    const end = e > s ? back(e - 1, true) : start;
    const hidden = text.slice(start, end) !== read.slice(s, e);
    return { ...id, span: [start, end], deobfuscated: id.deobfuscated || hidden };
  });
}

/**
 * What `extractIdentifiers` reads other than as written: invisible characters, the keycap mark of
 * `8️⃣`, fullwidth letters, digits and the signs of an address (`＠ ＿ ． ／ ＋ －`, not the colon and
 * comma of Chinese text), circled and parenthesised ones (`①`, `ⓜ`, `⒨`), mathematical letters and digits
 * (`𝐦𝐞𝐟`, `𝟴𝟳𝟬𝟱`: what fancy-text generators make), and squared letters (`🄼 🅼`).
 */
const DISGUISED_SOURCE = `${INVISIBLE_SOURCE}|[\\u20e3\\u2460-\\u24ff\\uff0b\\uff0d-\\uff19\\uff20-\\uff3a\\uff3f\\uff41-\\uff5a]|[\\u{1d400}-\\u{1d7ff}\\u{1f130}-\\u{1f189}]`;
const DISGUISED = new RegExp(DISGUISED_SOURCE, 'u');
const DISGUISED_G = new RegExp(DISGUISED_SOURCE, 'gu');
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** How `extractIdentifiers` reads one `DISGUISED` character: nothing, or the ASCII it passes for. */
function readAs(ch: string): string {
  if (ch === '\u20e3' || INVISIBLE.test(ch)) return '';
  const letter = enclosedLetter(ch.codePointAt(0)!);
  if (letter !== null) return letter;
  const folded = ch.normalize('NFKC');
  return PRINTABLE_ASCII.test(folded) ? folded : ch;
}

function extractVisible(text: string): Identifier[] {
  const all: Candidate[] = [
    ...extractPgp(text),
    ...extractCrypto(text),
    ...extractMessengers(text),
    ...extractWallets(text),
    ...extractTelegram(text),
    ...digitsOf(text),
  ];
  if (all.length === 0) return [];
  all.sort((a, b) => b.priority - a.priority || a.span[0] - b.span[0] || b.span[1] - a.span[1]);
  // Each candidate is checked against the kept ones near it (kept by blocks of the text they cover), not
  // all of them: a hostile page of thousands of handles would otherwise cost their number squared.
  const kept: Candidate[] = [];
  const near = new Map<number, Candidate[]>();
  for (const c of all) {
    const first = Math.floor(c.span[0] / BLOCK);
    const last = Math.floor(Math.max(c.span[1] - 1, c.span[0]) / BLOCK);
    let clash = false;
    for (let b = first; b <= last && !clash; b++)
      clash = near.get(b)?.some((k) => overlaps(k, c) && !coexist(k, c)) ?? false;
    if (clash) continue;
    kept.push(c);
    for (let b = first; b <= last; b++) {
      const list = near.get(b);
      if (list) list.push(c);
      else near.set(b, [c]);
    }
  }
  kept.sort((a, b) => a.span[0] - b.span[0] || a.span[1] - b.span[1] || a.type.localeCompare(b.type));
  const seen = new Set<string>();
  const out: Identifier[] = [];
  for (const c of kept) {
    const key = `${c.type}\u0000${c.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      type: c.type,
      value: c.value,
      span: c.span,
      validated: c.validated,
      deobfuscated: c.deobfuscated,
    });
  }
  return out;
}

/**
 * The identifiers of a page: those in its visible `text`, then those its links name (`mailto:`,
 * `tel:`, `t.me/…`, payment URIs; see `uris.ts`) that the text does not already hold.
 */
export function extractPageIdentifiers(text: string, hrefs: readonly string[]): Identifier[] {
  const inText = extractIdentifiers(text);
  const fromHrefs = extractFromHrefs(hrefs, extractIdentifiers);
  if (fromHrefs.length === 0) return inText;
  const seen = new Set(inText.map((i) => `${i.type}\u0000${i.value}`));
  return [...inText, ...fromHrefs.filter((i) => !seen.has(`${i.type}\u0000${i.value}`))];
}

/**
 * A letter O (Latin or Cyrillic) between two digits, after the digit before it: `8-7О5-111-22-33` writes a
 * phone's zero so. The digit is matched, not looked behind for: a lookbehind is tried at every `о`, the
 * commonest Russian letter (a third of this function's time).
 */
const O_FOR_ZERO = /\d[OoОо](?=\d)/g;

/**
 * Phones, cards and wallets written with digits (`extractDigits`), reading a letter O between two digits
 * as the zero it stands for, and a Cyrillic З beside a digit (alone or across one space, dot or dash,
 * not inside a word: `Зара 3`) as a 3; one character for one, so spans hold. Not for the other
 * extractors: a base58 address holds `o` between digits as itself.
 */
function digitsOf(text: string): Candidate[] {
  const read: number[] = [];
  O_FOR_ZERO.lastIndex = 0;
  for (let m = O_FOR_ZERO.exec(text); m !== null; m = O_FOR_ZERO.exec(text)) read.push(m.index + 1);
  ze3Runs(text, read);
  if (read.length === 0) return extractDigits(text);
  read.sort((a, b) => a - b);
  let digits = '';
  let from = 0;
  for (const at of read) {
    const c = text.charCodeAt(at);
    digits += `${text.slice(from, at)}${isZe(c) ? '3' : '0'}`;
    from = at + 1;
  }
  digits += text.slice(from);
  return extractDigits(digits).map((c) =>
    // A digit read inside the candidate: fewer read before its end than before its start.
    countAtMost(read, c.span[1] - 1) > countAtMost(read, c.span[0] - 1) ? { ...c, deobfuscated: true } : c,
  );
}

const DIGIT_SEPARATOR = /[ .-]/;

/** A З or з, found by a pattern (`test`, which makes no match array) and read on by hand. */
const ZE = /[Зз]/g;

/**
 * Adds to `read` the offsets of each З that stands for a 3: a run (of four at most) beside a digit, no
 * letter around it. З is a common Russian letter: each one found makes no match array (a pattern that
 * did cost more time and memory than the rest of the phone reading), and the page is not read unit by
 * unit (that was the slowest of the identifier readers in a crawl's profile).
 */
function ze3Runs(text: string, read: number[]): void {
  const n = text.length;
  ZE.lastIndex = 0;
  while (ZE.test(text)) {
    const start = ZE.lastIndex - 1;
    let end = start + 1;
    while (end < n && end - start < 4 && isZe(text.charCodeAt(end))) end++;
    ZE.lastIndex = end;
    if (isLetterAt(text, start - 1) || isLetterAt(text, end)) continue;
    const digitBefore =
      isDigitAt(text, start - 1) ||
      (DIGIT_SEPARATOR.test(text[start - 1] ?? '') && isDigitAt(text, start - 2));
    const digitAfter =
      isDigitAt(text, end) || (DIGIT_SEPARATOR.test(text[end] ?? '') && isDigitAt(text, end + 1));
    if (!digitBefore && !digitAfter) continue;
    for (let k = start; k < end; k++) read.push(k);
  }
}

/** З or з. */
function isZe(c: number): boolean {
  return c === 0x417 || c === 0x437;
}

function isDigitAt(text: string, i: number): boolean {
  const c = i >= 0 && i < text.length ? text.charCodeAt(i) : 0;
  return c >= 48 && c <= 57;
}

/** How many of the ascending `sorted` are at most `p` (a binary search). */
function countAtMost(sorted: readonly number[], p: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The identifiers that the whole of `ref` is, as a page would write it (`+7 705 111 22 33`,
 * `t.me/mef_shop`, a TON `UQ…` address): what an analyst pastes to look a stored one up by.
 */
export function identifiersWrittenAs(ref: string): Identifier[] {
  const text = ref.trim();
  const whole = (i: Identifier) => i.span[0] === 0 && i.span[1] === text.length;
  // A Tox ID alone names no `tox`, which a page must for its 76 hex digits to be read as one.
  const tox = toxIds(text).filter(whole);
  if (tox.length > 0) return tox.map(({ priority: _, ...id }) => id);
  return extractIdentifiers(text).filter(whole);
}

/** Characters of text per block of `extractIdentifiers`' overlap index. */
const BLOCK = 256;

function overlaps(a: Candidate, b: Candidate): boolean {
  return a.span[0] < b.span[1] && b.span[0] < a.span[1];
}

/** The same text may carry two identifiers: a phone and the QIWI wallet it names; the same handle twice. */
function coexist(a: Candidate, b: Candidate): boolean {
  const pair = a.type < b.type ? `${a.type}+${b.type}` : `${b.type}+${a.type}`;
  return pair === 'phone+qiwi' || (a.type === b.type && a.value === b.value);
}
