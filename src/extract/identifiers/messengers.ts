import { type Candidate, PRIORITY, before, candidate, lastMatchEnd, wordAfter } from './context.ts';
import { CYRILLIC, foldHomoglyphs, LOOKALIKES } from './deobfuscate.ts';

/**
 * Contact identifiers other than Telegram:
 * - Session IDs: 66 hex digits starting `05` (value lower-case).
 * - Wickr: a username after a Wickr keyword ("wickr: mef_shop", "wickr me - mef.shop").
 * - Threema: an 8-character ID (A–Z, 0–9) after a Threema keyword (value upper-case).
 * - WeChat: an ID (6–20 characters, a letter first, then letters, digits, `_`, `-`) after a WeChat
 *   keyword: `微信`, `wechat`, `weixin`, and the ways Chinese ads dodge filters, `薇信`, `威信`, `V信`,
 *   `VX`, `加微` (value lower-case). A WeChat that is a phone number is the phone's.
 * - QQ: a number of 5–11 digits, no 0 first, after `QQ`, `扣扣` or `企鹅` (the penguin, its mascot).
 * - Tox IDs: 76 hex digits (a public key, a nospam value and a two-byte checksum, which must hold)
 *   on a page that says `tox` somewhere (`Tox ID`, `qTox`), value upper-case, as Tox clients show them.
 * - Signal usernames: `name.42` (3–32 letters, digits or `_`, a letter first, a dot, two digits or
 *   more) after a Signal keyword (`signal: mefshop.42`, `сигнал mef_kz.01`; after a bare space the
 *   name needs a digit or `_`), value lower-case.
 * - Matrix (Element): a user ID, `@localpart:server` (`@mefshop:matrix.org`, a port allowed), value
 *   lower-case; also what `matrix.to/#/@…` links name. Without it the `@mefshop` of it read as a
 *   Telegram handle.
 * - Jabber/XMPP: `user@server` after a jabber/xmpp/jid keyword or on a known XMPP server
 *   (value: bare JID, lower-case). Anything else with `@` and a domain is an e-mail.
 * - E-mail, also written `name @ protonmail.com` (spaced), `name [at] mail [dot] ru`, `name(at)mail.ru`,
 *   `name собака mail.ru`.
 */

const SESSION_RE = /(?<![0-9A-Za-z])05[0-9a-fA-F]{64}(?![0-9A-Za-z])/g;
const WICKR_RE = new RegExp(
  `${wordAfter('[\\p{L}\\p{N}]', 'wickr|викр')}(?:\\s?me)?(?![\\p{L}\\p{N}])\\s{0,3}(?:[:\\-–—=>→]\\s{0,3}){0,2}@?([A-Za-z][A-Za-z0-9_.-]{2,31})(?![\\p{L}\\p{N}_])`,
  'giu',
);
const THREEMA_RE = new RegExp(
  `${wordAfter('[\\p{L}\\p{N}]', 'threema|трима|треема')}(?:\\s?id)?(?![\\p{L}\\p{N}])\\s{0,3}(?:[:\\-–—=>→]\\s{0,3}){0,2}\\*?([A-Za-z0-9]{8})(?![\\p{L}\\p{N}])`,
  'giu',
);
/** Between a keyword and its ID: a colon (fullwidth too), a dash or an arrow, or spaces. */
const KEY_SEP = '(?:\\s{0,3}[:：\\-–—=>→]\\s{0,3}|\\s{1,3})';
/** After a Chinese keyword nothing need stand between: `微信mefshop88`. */
const HAN_SEP = `(?:${KEY_SEP})?`;
const WECHAT_RE = new RegExp(
  `(?:(?<![A-Za-z0-9])(?:wechat|weixin|vx|wx)(?:\\s?id|号)?${KEY_SEP}|(?:微信号?|薇信|威信|徽信|(?<![A-Za-z0-9])v信|加微|加v)${HAN_SEP})` +
    // Not cut short by a letter of another script (`mefshop_сn` with a Cyrillic с is no `mefshop_`).
    '([A-Za-z][A-Za-z0-9_-]{5,19})(?![A-Za-z0-9_\\u0400-\\u04ff-])',
  'gi',
);
const QQ_RE = new RegExp(
  `(?:(?<![A-Za-z0-9])qq(?:号码?)?|扣扣|企鹅号?)${HAN_SEP}([1-9][0-9]{4,10})(?![0-9A-Za-z\\u0400-\\u04ff])`,
  'gi',
);
const TOX_RE = /(?<![0-9A-Za-z])[0-9A-Fa-f]{76}(?![0-9A-Za-z])/g;
/** Pages with a Tox ID name it (`Tox ID`, `qTox`; not `toxic`, `detox`): 76 hex digits are looked for only on them. */
const TOX_WORD = /(?<![a-z])[qua]?tox(?:chat)?(?![a-z])/i;
const SIGNAL_WORD = /signal|сигнал/i;
/** One scan for either word: most pages hold neither. */
const TOX_OR_SIGNAL = /tox|ignal|игнал/i;
const SIGNAL_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:signal|сигнал|сигнале|сигналу|сигналь)(?:\\s?(?:id|username|юзернейм|ник))?(${KEY_SEP})@?` +
    '([A-Za-z][A-Za-z0-9_]{2,31}\\.\\d{2,9})(?![\\p{L}\\p{N}_]|\\.\\p{L})',
  'giu',
);

/**
 * The Tox IDs in `text`: 76 hex digits whose checksum holds, whatever names them (`extractMessengers`
 * reads them only on a page that says `tox`; an analyst's lookup, in a bare ID).
 */
export function toxIds(text: string): Candidate[] {
  const out: Candidate[] = [];
  for (const m of text.matchAll(TOX_RE)) {
    if (!toxChecksum(m[0])) continue;
    const end = m.index + m[0].length;
    out.push(candidate('tox', m[0].toUpperCase(), m.index, end, 'checksum', false, PRIORITY.session));
  }
  return out;
}

/** Whether 76 hex digits are a Tox ID: each byte of the first 36 XORed into the checksum's byte of its parity. */
function toxChecksum(hex: string): boolean {
  let even = 0;
  let odd = 0;
  for (let i = 0; i < 36; i++) {
    const byte = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    if (i % 2 === 0) even ^= byte;
    else odd ^= byte;
  }
  return even === Number.parseInt(hex.slice(72, 74), 16) && odd === Number.parseInt(hex.slice(74, 76), 16);
}

/** A Matrix user ID: the localpart's characters (the spec's historical set), a server name, a port. */
const MATRIX_RE =
  /(?<![\p{L}\p{N}_@.+=-])@([A-Za-z0-9._=\-/+]{1,64}):((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24})(?::\d{1,5})?(?![\p{L}\p{N}_-]|\.[\p{L}\p{N}])/gu;
const JABBER_WORD = /jabber|xmpp|(?<![a-z])jid(?![a-z])|джаббер|жаббер|джабер|жабер|omemo/g;
/** Public XMPP servers seen on drug-market pages; domains starting with jabber./xmpp. count too. */
const XMPP_SERVERS = new Set([
  'jabber.ru',
  'jabber.org',
  'jabber.cz',
  'jabber.de',
  'jabber.at',
  'jabber.fr',
  'jabber.sk',
  'jabber.hot-chilli.net',
  'jabber.calyxinstitute.org',
  'jabber.ccc.de',
  'jabbim.com',
  'jabb.im',
  'xmpp.jp',
  'xmpp.is',
  'xmpp.ru',
  'xmpp.zone',
  'exploit.im',
  'thesecure.biz',
  '404.city',
  'darkness.su',
  'conversations.im',
  'creep.im',
  'xabber.org',
  'yax.im',
  'anonym.im',
  'sj.ms',
  'suchat.org',
  'blabber.im',
  'macaw.me',
  'pwned.life',
  'rows.io',
  'richim.org',
  'otr.im',
  'jabbercity.ru',
  'dismail.de',
  'magicbroccoli.de',
]);

/** `icon@2x.png` is a file name, not an address. */
const FILE_TLD = /\.(?:png|jpe?g|gif|svg|webp|ico|js|css|map|json|txt|pdf|zip)$/;
const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
/** Words written before a spaced `@` in prose ("mail us @ shop.com"): not the local part of an address. */
const PROSE_BEFORE_AT = new Set([
  'email',
  'e-mail',
  'mail',
  'contact',
  'write',
  'reach',
  'follow',
  'message',
  'find',
  'visit',
  'the',
  'and',
  'are',
  'now',
  'here',
]);
/** A local part's character, or a Cyrillic letter that passes for a Latin one (`mеf_shop@protonmаil.com`). */
const LOCAL_OR_LOOKALIKE = new RegExp(`[A-Za-z0-9._%+${LOOKALIKES}-]`);
const DOMAIN_RE = new RegExp(
  `[A-Za-z0-9${LOOKALIKES}-]+(?:\\.[A-Za-z0-9${LOOKALIKES}-]+)*\\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
  'y',
);
const AT_WORD_RE = /\s?(?:\[at\]|\(at\)|\{at\}|\[@\]|\(@\)|\[собака\]|\(собака\)|\sсобака\s|\sat\s)\s?/gi;
const OBF_DOMAIN_RE =
  /[A-Za-z0-9-]+(?:\s?(?:\.|\[dot\]|\(dot\)|\{dot\}|\[\.\]|\(\.\)|\sdot\s|\sточка\s)\s?[A-Za-z0-9-]+)*\s?(?:\.|\[dot\]|\(dot\)|\{dot\}|\[\.\]|\(\.\)|\sdot\s|\sточка\s)\s?[A-Za-z]{2,24}(?![A-Za-z0-9-])/iy;

export function extractMessengers(text: string): Candidate[] {
  const out: Candidate[] = [];
  if (text.includes('05')) {
    for (const m of text.matchAll(SESSION_RE)) {
      const v = m[0].toLowerCase();
      out.push(candidate('session', v, m.index, m.index + 66, 'syntax', false, PRIORITY.session));
    }
  }
  for (const m of text.matchAll(WICKR_RE)) {
    const name = (m[1] ?? '').replace(/[.-]+$/, '');
    if (name.length < 3) continue;
    const start = m.index + m[0].length - (m[1] ?? '').length;
    out.push(
      candidate(
        'wickr',
        name.toLowerCase(),
        start,
        start + name.length,
        'syntax+keyword',
        false,
        PRIORITY.keyword,
      ),
    );
  }
  if (TOX_OR_SIGNAL.test(text)) {
    if (TOX_WORD.test(text)) out.push(...toxIds(text));
    for (const m of SIGNAL_WORD.test(text) ? text.matchAll(SIGNAL_RE) : []) {
      const [whole, sep = '', name = ''] = m;
      // With only a space between ("signal strength.10"), the nickname needs a digit or `_`.
      if (!/[:：\-–—=>→]/.test(sep) && !/[0-9_]/.test(name.slice(0, name.lastIndexOf('.')))) continue;
      const end = m.index + whole.length;
      out.push(
        candidate(
          'signal',
          name.toLowerCase(),
          end - name.length,
          end,
          'syntax+keyword',
          false,
          PRIORITY.keyword,
        ),
      );
    }
  }
  if (text.includes('@')) {
    for (const m of text.matchAll(MATRIX_RE)) {
      const end = m.index + m[0].length;
      out.push(candidate('matrix', m[0].toLowerCase(), m.index, end, 'syntax', false, PRIORITY.matrix));
    }
  }
  afterKeyword(text, THREEMA_RE, 'threema', out, (id) =>
    id === id.toUpperCase() || (/\d/.test(id) && /[A-Za-z]/.test(id)) ? id.toUpperCase() : null,
  );
  afterKeyword(text, WECHAT_RE, 'wechat', out, (id) => id.toLowerCase());
  afterKeyword(text, QQ_RE, 'qq', out, (id) => id);
  extractMail(text, out);
  return out;
}

/**
 * The IDs `re` finds after their keyword (its group 1, which ends the match), each as `value` reads
 * it (null: not one after all).
 */
function afterKeyword(
  text: string,
  re: RegExp,
  type: Candidate['type'],
  out: Candidate[],
  value: (id: string) => string | null,
): void {
  for (const m of text.matchAll(re)) {
    const id = m[1] ?? '';
    const v = value(id);
    if (v === null) continue;
    const end = m.index + m[0].length;
    out.push(candidate(type, v, end - id.length, end, 'syntax+keyword', false, PRIORITY.keyword));
  }
}

function extractMail(text: string, out: Candidate[]): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    // `name @ protonmail.com`: up to two spaces on either side of the `@`.
    let localEnd = at;
    while (localEnd > 0 && at - localEnd < 2 && text[localEnd - 1] === ' ') localEnd--;
    let domainStart = at + 1;
    while (domainStart - at <= 2 && text[domainStart] === ' ') domainStart++;
    const spaced = localEnd < at || domainStart > at + 1;
    const part = localPart(text, localEnd);
    if (part === null) continue;
    const { local, start } = part;
    if (spaced && (local.length < 3 || !/[A-Za-z]/.test(local) || PROSE_BEFORE_AT.has(local.toLowerCase())))
      continue;
    DOMAIN_RE.lastIndex = domainStart;
    const d = DOMAIN_RE.exec(text);
    const domain = d === null ? null : foldHomoglyphs(d[0]);
    if (d === null || domain === null) continue;
    const folded = part.folded || domain !== d[0];
    pushMail(text, out, local, domain, start, domainStart + d[0].length, spaced || folded);
  }
  if (!/\[at\]|\(at\)|\{at\}|\[@\]|\(@\)|собака| at /i.test(text)) return;
  for (const m of text.matchAll(AT_WORD_RE)) {
    let s = m.index;
    while (s > 0 && m.index - s < 64 && LOCAL_CHAR.test(text[s - 1] ?? '')) s--;
    const local = text.slice(s, m.index);
    if (!/[A-Za-z0-9]/.test(local)) continue;
    OBF_DOMAIN_RE.lastIndex = m.index + m[0].length;
    const d = OBF_DOMAIN_RE.exec(text);
    if (!d) continue;
    // A bare " at " is English prose unless the domain is spelled out with "dot" too.
    if (/^\s?at\s?$/i.test(m[0]) && !/dot|точка/i.test(d[0])) continue;
    const domain = d[0].replace(
      /\s?(?:\[dot\]|\(dot\)|\{dot\}|\[\.\]|\(\.\)|\sdot\s|\sточка\s)\s?|\s?\.\s?/gi,
      '.',
    );
    pushMail(text, out, local, domain, s, OBF_DOMAIN_RE.lastIndex, true);
  }
}

/**
 * The local part of an address ending at `end` (its first character's offset, and its text with any
 * Cyrillic look-alike read as the Latin letter it passes for: `mеf_shop@…` is `mef_shop@…`, not
 * `f_shop@…`), or null. Look-alikes glued after a Cyrillic word are that word's (`почтаmef@…`);
 * a mostly Cyrillic run keeps only its Latin tail, as before look-alikes were read.
 */
function localPart(text: string, end: number): { local: string; start: number; folded: boolean } | null {
  let s = runStart(text, end, LOCAL_OR_LOOKALIKE);
  if (s > 0 && CYRILLIC.test(text[s - 1]!)) while (s < end && CYRILLIC.test(text[s]!)) s++;
  let raw = text.slice(s, end);
  let folded = false;
  if (CYRILLIC.test(raw)) {
    const latin = foldHomoglyphs(raw);
    if (latin !== null) {
      raw = latin;
      folded = true;
    } else raw = text.slice(runStart(text, end, LOCAL_CHAR), end);
  }
  const local = raw.replace(/^[.]+/, '');
  if (local.length === 0 || local.endsWith('.')) return null;
  return { local, start: end - local.length, folded };
}

/** Where the run of `char` characters (64 at most) that ends at `end` starts. */
function runStart(text: string, end: number, char: RegExp): number {
  let s = end;
  while (s > 0 && end - s < 64 && char.test(text[s - 1] ?? '')) s--;
  return s;
}

function pushMail(
  text: string,
  out: Candidate[],
  local: string,
  domain: string,
  start: number,
  end: number,
  deob: boolean,
) {
  const d = domain.toLowerCase();
  if (FILE_TLD.test(d)) return;
  const value = `${local.toLowerCase()}@${d}`;
  const jabber = XMPP_SERVERS.has(d) || /^(?:jabber|xmpp|jabb)\./.test(d) || jabberKeywordBefore(text, start);
  if (jabber) out.push(candidate('jabber', value, start, end, 'syntax:jid', deob, PRIORITY.mail));
  else out.push(candidate('email', value, start, end, 'syntax', deob, PRIORITY.mail));
}

/** A jabber/xmpp keyword within 40 characters before, with no other address in between. */
function jabberKeywordBefore(text: string, start: number): boolean {
  const pre = before(text, start, 40);
  const at = lastMatchEnd(JABBER_WORD, pre);
  return at >= 0 && !pre.slice(at).includes('@');
}
