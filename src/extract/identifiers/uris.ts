import type { Identifier, IdentifierType } from '../types.ts';

/**
 * Identifiers in link targets, where the page holds the exact value: `mailto:`, `tel:`/`callto:`,
 * `wa.me/…`, `t.me/…`/`telegram.me/…`/`tg://resolve`, a Matrix user's `matrix.to/#/@user:server`, the phone of a messenger's chat link (Viber's
 * `viber://chat?number=`, WhatsApp's `api.whatsapp.com/send?phone=`, Signal's `signal.me/#p/+…`,
 * Telegram's `tg://msg?to=+…`), an address on a block explorer's page (`tronscan.org/#/address/T…`,
 * `etherscan.io/address/0x…`, `tonviewer.com/UQ…`), and the payment URIs `bitcoin:`, `litecoin:`,
 * `ethereum:` (EIP-681, also `pay-…@chain/transfer?address=…`), `monero:`, `tron:` and `ton://transfer/…`, and
 * `tox:` with a Tox ID. Each value
 * goes through the same validators as text (checksums, libphonenumber, Telegram's username rules)
 * and must be the whole value the URI names, of the type its scheme names: `bitcoin:` with a
 * Litecoin address, or `mailto:` with something that is not an address, yields nothing.
 */

/** Link targets read per page at most. */
const MAX_URIS = 2_000;
/** Block explorers whose page of one address a shop links to (`tronscan.org/#/address/T…`). */
const EXPLORERS =
  '(?:tronscan\\.(?:org|io)|etherscan\\.io|bscscan\\.com|blockchain\\.com|blockchair\\.com|blockstream\\.info|' +
  'mempool\\.space|btcscan\\.org|tonviewer\\.com|tonscan\\.org|xmrchain\\.net)';
/** Hosts of links to a Telegram handle, a phone or a Matrix user: t.me, wa.me, WhatsApp's API, Signal, matrix.to. */
const MESSENGERS =
  '(?:t\\.me|telegram\\.me|telegram\\.dog|wa\\.me|api\\.whatsapp\\.com|web\\.whatsapp\\.com|signal\\.me|matrix\\.to)';
const HOST = '(?:https?:)?\\/\\/(?:www\\.)?(?:[a-z0-9_-]+\\.)?';
/** The schemes and hosts worth parsing; every other href is skipped without decoding it. */
const WANTED = new RegExp(
  `^\\s*(?:mailto:|tel:|callto:|bitcoin:|litecoin:|ethereum:|monero:|tron:|ton:|tg:|viber:|whatsapp:|tox:|` +
    `${HOST}${MESSENGERS}(?:[/?#]|$)|${HOST}${EXPLORERS}\\/)`,
  'i',
);
/** Where a messenger's chat link names a phone: the query parameter, or Signal's fragment. */
const CHAT_PHONE =
  /^(?:viber:\/*(?:chat|add|contact)\?(?:[^#]*&)?number=|whatsapp:\/*send\?(?:[^#]*&)?phone=|(?:https?:)?\/\/(?:api|web)\.whatsapp\.com\/send\/?\?(?:[^#]*&)?phone=|(?:https?:)?\/\/signal\.me\/#p\/|tg:\/*msg\?(?:[^#]*&)?to=)(\+?[\d ()-]{7,20})(?=[&#\s]|$)/i;
/** A messenger's other links (a share link, a profile), which name no phone. */
const CHAT_OTHER =
  /^(?:viber:|whatsapp:|(?:https?:)?\/\/(?:[a-z0-9-]+\.)*(?:whatsapp\.com|signal\.me)(?:[/?#]|$))/i;
/**
 * An explorer's page of one address: the path segment after the chain and `address/` (or the whole
 * path, as Tonviewer writes it); not a transaction's, a block's or a token's.
 */
const EXPLORER = new RegExp(
  `^${HOST}${EXPLORERS}\\/(?:#\\/)?(?:(?!(?:tx|transaction|block|token)\\/)[a-z-]+\\/)?(?:addr(?:ess)?\\/)?` +
    '([A-Za-z0-9:_-]{26,})(?=[/?#]|$)',
  'i',
);
const EXPLORER_ANY = new RegExp(`^${HOST}${EXPLORERS}\\/`, 'i');
const CRYPTO: readonly IdentifierType[] = ['btc', 'ltc', 'eth', 'tron', 'ton', 'xmr'];
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
  // `tox:ID`, a Tox client's link: the extractor reads the ID after the scheme's name.
  if (scheme === 'tox') return [[0, { value: uri, types: ['tox'], whole: false }]];
  const chat = CHAT_PHONE.exec(uri);
  if (chat?.[1] !== undefined) {
    // International digits, with or without `+` (WhatsApp writes none); the extractor reads them with it.
    const number = chat[1].trim();
    const at = chat[0].length - chat[1].length + (chat[1].length - chat[1].trimStart().length);
    const plus = number.startsWith('+') ? 0 : 1;
    return [[at - plus, { value: plus ? `+${number}` : number, types: ['phone'], whole: true }]];
  }
  const explorer = EXPLORER.exec(uri);
  if (explorer?.[1] !== undefined) {
    const at = explorer[0].length - explorer[1].length;
    return [[at, { value: explorer[1], types: CRYPTO, whole: true }]];
  }
  if (CHAT_OTHER.test(uri) || EXPLORER_ANY.test(uri)) return [];
  if (/^(?:https?:)?\/\/(?:www\.)?wa\.me\//i.test(uri)) {
    const start = uri.indexOf('wa.me/') + 'wa.me/'.length;
    const digits = /^\+?\d{7,15}(?![\d])/.exec(uri.slice(start))?.[0];
    if (digits === undefined) return [];
    // The path is international digits without `+`; the text extractor sees them with it.
    const plus = digits.startsWith('+') ? 0 : 1;
    return [[start - plus, { value: `+${digits.replace('+', '')}`, types: ['phone'], whole: true }]];
  }
  if (/^(?:https?:)?\/\/(?:www\.)?matrix\.to\//i.test(uri)) {
    // `matrix.to/#/@user:server?via=…`: a user (a room's `#alias` or `!id` names no one).
    const start = uri.indexOf('#/') + 2;
    if (start < 2) return [];
    const id = uri.slice(start).split('?')[0] ?? '';
    return [[start, { value: id, types: ['matrix'], whole: true }]];
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
