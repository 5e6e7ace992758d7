import { type Shape, cardContext, checkCard, isOddCardGrouping } from './cards.ts';
import { type Candidate, PRIORITY, before, candidate } from './context.ts';
import { checkPhone, isSpacedDigits, phoneContext, regionsNear } from './phones.ts';

/**
 * Numbers written with digits: bank cards, phones, YooMoney and QIWI wallets. One regex finds
 * maximal runs of digits joined by separators (spaces, dots, dashes, brackets); each run is then cut
 * into windows of whole digit blocks, tried longest first, so "тел 8 701 123 45 67 2 шт" still
 * yields the phone and "4276 3800 1234 5678 12/25" still yields the card.
 */

// Nine digits at least (no card, phone or wallet has fewer): a page's prices, dates and order numbers
// fail inside the pattern instead of each making a match for the loop to drop.
const RUN_RE = /(?<![\p{L}\p{N}_+])\+?\(?\d(?:[ \u00a0\t().\-–—]{0,3}\d){8,}/gu;
const AFTER_RUN = /[A-Za-z_]/;
const YOOMONEY_WORD = /yoomoney|юmoney|юmani|юмани|юмoney|yandex.?money|яндекс.?деньг|я\.деньг|ymoney/;
const QIWI_WORD = /qiwi|киви|ківи/;

/** Limits on one run so a page-long table of numbers cannot make this quadratic. */
const MAX_WINDOW_DIGITS = 19;
const MAX_ATTEMPTS_PER_RUN = 48;
/** A run of more blocks than this is a table of numbers ("1 2 3 4 …"), not an identifier. */
const MAX_BLOCKS_PER_RUN = 40;

interface Block {
  start: number;
  end: number;
}

export function extractDigits(text: string): Candidate[] {
  const out: Candidate[] = [];
  for (const m of text.matchAll(RUN_RE)) {
    const raw = m[0];
    const runStart = m.index;
    const next = text[runStart + raw.length];
    if (next !== undefined && AFTER_RUN.test(next)) continue;
    const blocks = blocksOf(raw, runStart);
    if (blocks.length > MAX_BLOCKS_PER_RUN) continue;
    let total = 0;
    for (const b of blocks) total += b.end - b.start;
    if (total < 9) continue;
    classifyRun(text, raw[0] === '+', runStart, blocks, out);
  }
  return out;
}

function blocksOf(raw: string, offset: number): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      const start = i;
      while (i < raw.length && raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) i++;
      blocks.push({ start: offset + start, end: offset + i });
    } else {
      i++;
    }
  }
  return blocks;
}

interface Window {
  from: number;
  to: number;
  digits: number;
}

function classifyRun(text: string, plus: boolean, runStart: number, blocks: Block[], out: Candidate[]): void {
  const windows: Window[] = [];
  for (let from = 0; from < blocks.length; from++) {
    let digits = 0;
    for (let to = from; to < blocks.length; to++) {
      const b = blocks[to]!;
      digits += b.end - b.start;
      if (digits > MAX_WINDOW_DIGITS) break;
      if (digits >= 9) windows.push({ from, to, digits });
    }
  }
  windows.sort((a, b) => b.digits - a.digits || a.from - b.from);
  const used = new Uint8Array(blocks.length);
  let attempts = 0;
  for (const w of windows) {
    if (attempts++ >= MAX_ATTEMPTS_PER_RUN) break;
    let free = true;
    for (let k = w.from; k <= w.to; k++) if (used[k]) free = false;
    if (!free) continue;
    const c = classifyWindow(text, plus && w.from === 0, runStart, blocks, w);
    if (!c) continue;
    for (let k = w.from; k <= w.to; k++) used[k] = 1;
    out.push(...c);
  }
}

function classifyWindow(
  text: string,
  plus: boolean,
  runStart: number,
  blocks: Block[],
  w: Window,
): Candidate[] | null {
  const first = blocks[w.from]!;
  const last = blocks[w.to]!;
  // Keep an opening bracket of the run inside the span: "(701) 123-45-67".
  const start = plus
    ? runStart
    : text[first.start - 1] === '(' && first.start - 1 >= runStart
      ? first.start - 1
      : first.start;
  const end = last.end;
  let digits = '';
  const shape: Shape = { groups: [], seps: [] };
  for (let k = w.from; k <= w.to; k++) {
    const b = blocks[k]!;
    digits += text.slice(b.start, b.end);
    shape.groups.push(b.end - b.start);
    if (k > w.from) shape.seps.push(text.slice(blocks[k - 1]!.end, b.start));
  }
  if (!plus && digits.length >= 15 && digits.length <= 16 && digits.startsWith('410')) {
    if (YOOMONEY_WORD.test(before(text, start, 40))) {
      return [
        candidate(
          'yoomoney',
          digits,
          start,
          end,
          'syntax:410+keyword',
          shape.groups.length > 5,
          PRIORITY.digits,
        ),
      ];
    }
  }
  if (!plus && digits.length >= 13) {
    const label = checkCard(digits, shape, cardContext(text, start, end));
    if (label)
      return [candidate('card', digits, start, end, label, isOddCardGrouping(shape), PRIORITY.digits)];
  }
  if (digits.length > 15) return null;
  const phone = checkPhone(digits, plus, shape, phoneContext(text, start, end), (named) =>
    regionsNear(text, start, end, named),
  );
  if (!phone) return null;
  const deob = isSpacedDigits(shape);
  const found = [candidate('phone', phone.value, start, end, phone.validated, deob, PRIORITY.digits)];
  if (QIWI_WORD.test(before(text, start, 40))) {
    found.push(candidate('qiwi', phone.value, start, end, `qiwi+${phone.validated}`, deob, PRIORITY.digits));
  }
  return found;
}
