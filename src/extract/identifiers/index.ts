import { INVISIBLE, INVISIBLE_G } from '../../invisible.ts';
import type { Identifier } from '../types.ts';
import type { Candidate } from './context.ts';
import { extractCrypto } from './crypto.ts';
import { extractDigits } from './digits.ts';
import { extractTelegram } from './handles.ts';
import { extractMessengers } from './messengers.ts';
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
  if (!INVISIBLE.test(text)) return extractVisible(text);
  // Zero-width and formatting characters slipped inside an address or a handle (`bc1q…\u200b…`)
  // break every pattern: they are read without, and spans mapped back to `text` (`deobfuscated`).
  // `cut` holds, per character taken out, the offset in the text without them where it stood.
  const cut: number[] = [];
  const visible = text.replace(INVISIBLE_G, (ch: string, at: number) => {
    // A tag or a variation selector beyond U+FFFF is two code units: one entry each.
    for (let i = 0; i < ch.length; i++) cut.push(at + i - cut.length);
    return '';
  });
  /** The offset in `text` of the character at `p` in `visible`. */
  const back = (p: number) => p + countAtMost(cut, p);
  return extractVisible(visible).map((id) => {
    const start = back(id.span[0]);
    const end = id.span[1] > id.span[0] ? back(id.span[1] - 1) + 1 : start;
    const hidden = end - start !== id.span[1] - id.span[0];
    return { ...id, span: [start, end], deobfuscated: id.deobfuscated || hidden };
  });
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

/** A letter O (Latin or Cyrillic) between two digits: `8-7О5-111-22-33` writes a phone's zero so. */
const O_FOR_ZERO = /(?<=\d)[OoОо](?=\d)/g;

/**
 * Phones, cards and wallets written with digits (`extractDigits`), reading a letter O between two digits
 * as the zero it stands for (one character for one: spans hold). Not for the other extractors: a base58
 * address holds `o` between digits as itself.
 */
function digitsOf(text: string): Candidate[] {
  O_FOR_ZERO.lastIndex = 0;
  if (!O_FOR_ZERO.test(text)) return extractDigits(text);
  const zeros: number[] = [];
  const read = text.replace(O_FOR_ZERO, (_o: string, at: number) => {
    zeros.push(at);
    return '0';
  });
  return extractDigits(read).map((c) =>
    // A zero read inside the candidate: fewer zeros before its end than before its start.
    countAtMost(zeros, c.span[1] - 1) > countAtMost(zeros, c.span[0] - 1) ? { ...c, deobfuscated: true } : c,
  );
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
  return extractIdentifiers(text).filter((i) => i.span[0] === 0 && i.span[1] === text.length);
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
