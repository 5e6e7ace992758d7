import type { Identifier, IdentifierType } from '../types.ts';

/**
 * Identifiers in link targets, where the page holds the exact value: `mailto:`, `tel:`/`callto:`,
 * `wa.me/…`, `t.me/…`/`telegram.me/…`/`tg://resolve`, and the payment URIs `bitcoin:`, `litecoin:`,
 * `ethereum:` (EIP-681, also `pay-…@chain/transfer?address=…`), `monero:`, `tron:` and `ton://transfer/…`. Each value
 * goes through the same validators as text (checksums, libphonenumber, Telegram's username rules)
 * and must be the whole value the URI names, of the type its scheme names: `bitcoin:` with a
 * Litecoin address, or `mailto:` with something that is not an address, yields nothing.
 */

/** Link targets read per page at most. */
const MAX_URIS = 2_000;
/** The schemes and hosts worth parsing; every other href is skipped without decoding it. */
const WANTED =
  /^\s*(?:mailto:|tel:|callto:|bitcoin:|litecoin:|ethereum:|monero:|tron:|ton:|tg:|(?:https?:)?\/\/(?:www\.)?(?:[a-z0-9_]+\.)?(?:t\.me|telegram\.me|telegram\.dog|wa\.me)(?:[/?#]|$))/i;
const PAYMENT: Record<string, IdentifierType> = {
  bitcoin: 'btc',
  litecoin: 'ltc',
  ethereum: 'eth',
  monero: 'xmr',
  tron: 'tron',
  ton: 'ton',
};

/** A piece of a URI to run the text extractors on, and what it must turn out to be. */
interface Piece {
  value: string;
  types: readonly IdentifierType[];
  /** True when the identifier must cover the whole piece (not just be found inside it). */
  whole: boolean;
}

/**
 * Identifiers named by `hrefs`, one per (type, value), in order of first appearance. Spans are
 * [start, end) offsets into the percent-decoded href; each carries `in: 'href'`.
 */
export function extractFromHrefs(
  hrefs: readonly string[],
  extract: (text: string) => Identifier[],
): Identifier[] {
  const out: Identifier[] = [];
  const seen = new Set<string>();
  let read = 0;
  for (const href of hrefs) {
    if (!WANTED.test(href)) continue;
    if (read++ >= MAX_URIS) break;
    const decoded = decode(href.trim());
    for (const [offset, piece] of piecesOf(decoded)) {
      for (const id of extract(piece.value)) {
        if (!piece.types.includes(id.type)) continue;
        if (piece.whole && (id.span[0] !== 0 || id.span[1] !== piece.value.length)) continue;
        const key = `${id.type}\u0000${id.value}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ ...id, span: [id.span[0] + offset, id.span[1] + offset], in: 'href' });
      }
    }
  }
  return out;
}

/** The parts of a decoded URI that name identifiers, each with its offset in the URI. */
function piecesOf(uri: string): [number, Piece][] {
  const colon = uri.indexOf(':');
  const scheme = uri.slice(0, Math.max(colon, 0)).toLowerCase();
  const rest = colon + 1;
  const body = (from: number, stops: RegExp): [number, string] => {
    let start = from;
    while (uri[start] === '/') start++;
    const m = stops.exec(uri.slice(start));
    return [start, uri.slice(start, m ? start + m.index : uri.length).trim()];
  };
  if (scheme === 'mailto') {
    const [start, list] = body(rest, /[?#]/);
    const pieces: [number, Piece][] = [];
    let at = start;
    for (const addr of list.split(',')) {
      const lead = addr.length - addr.trimStart().length;
      pieces.push([at + lead, { value: addr.trim(), types: ['email', 'jabber'], whole: true }]);
      at += addr.length + 1;
    }
    return pieces;
  }
  if (scheme === 'tel' || scheme === 'callto') {
    const [start, number] = body(rest, /[;?#]/);
    return [[start, { value: number, types: ['phone'], whole: true }]];
  }
  const payment = PAYMENT[scheme];
  if (payment !== undefined) {
    const [start, path] = body(rest, /[?#]/);
    if (payment === 'eth') return ethereumPieces(uri, start, path);
    // `ton://transfer/ADDRESS?amount=…`, the TON wallets' payment link.
    if (payment === 'ton') {
      const skip = /^transfer\//i.exec(path)?.[0].length ?? 0;
      return [[start + skip, { value: path.slice(skip), types: ['ton'], whole: true }]];
    }
    return [[start, { value: path, types: [payment], whole: true }]];
  }
  if (/^(?:https?:)?\/\/(?:www\.)?wa\.me\//i.test(uri)) {
    const start = uri.indexOf('wa.me/') + 'wa.me/'.length;
    const digits = /^\+?\d{7,15}(?![\d])/.exec(uri.slice(start))?.[0];
    if (digits === undefined) return [];
    // The path is international digits without `+`; the text extractor sees them with it.
    const plus = digits.startsWith('+') ? 0 : 1;
    return [[start - plus, { value: `+${digits.replace('+', '')}`, types: ['phone'], whole: true }]];
  }
  // t.me, telegram.me, handle.t.me, tg://resolve: the Telegram extractor reads the link itself.
  return [[0, { value: uri, types: ['telegram'], whole: false }]];
}

/** EIP-681: `ethereum:[pay-]ADDRESS[@chain][/transfer?address=RECIPIENT]`; the recipient of a token transfer. */
function ethereumPieces(uri: string, start: number, path: string): [number, Piece][] {
  const query = /\/transfer\?(?:[^#]*&)?address=(0x[0-9a-fA-F]{40})(?![0-9a-zA-Z])/.exec(uri);
  if (query?.[1] !== undefined) {
    const at = query.index + query[0].length - query[1].length;
    return [[at, { value: query[1], types: ['eth'], whole: true }]];
  }
  const skip = path.toLowerCase().startsWith('pay-') ? 4 : 0;
  const address = path.slice(skip).split(/[@/]/)[0] ?? '';
  return [[start + skip, { value: address, types: ['eth'], whole: true }]];
}

/** `s` percent-decoded, or unchanged when it is not valid percent-encoding. */
function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
