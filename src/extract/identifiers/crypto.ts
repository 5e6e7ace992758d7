import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { base58xmr, bech32, bech32m, createBase58check } from '@scure/base';
import { Buffer } from 'node:buffer';
import { type Candidate, candidate, PRIORITY } from './context.ts';

/**
 * Crypto addresses, each validated by its checksum: a string that only looks like an address
 * (a typo, a hex hash, a transaction id) is dropped.
 *
 * - Bitcoin: base58check version 0x00 (`1…`) / 0x05 (`3…`); segwit `bc1` bech32 (v0) / bech32m (v1+).
 * - Litecoin: base58check version 0x30 (`L…`) / 0x32 (`M…`); segwit `ltc1`. `3…` is reported as btc.
 * - TRON: base58check, 21 bytes starting 0x41 (`T…`).
 * - Ethereum / ERC-20 / BEP-20: `0x` + 40 hex; mixed case must pass EIP-55, one-case is accepted.
 * - Monero: `4…`/`8…`, 95 or 106 chars, Monero block base58 with a keccak-256 checksum.
 * - TON (Toncoin, USDT on TON, Telegram's wallet): the user-friendly form, 48 characters of base64 or
 *   base64url (`EQ…` bounceable, `UQ…` not; 36 bytes: flags, workchain, account id, CRC16-XMODEM), or the
 *   raw `0:` + 64 hex. Both forms of one account are one value, the raw one (`0:ca6e…`): a vendor's
 *   `UQ…` on one site and `EQ…` on another link.
 */

const b58check = createBase58check(sha256);

/**
 * Tokens of the base58 alphabet, 25–106 chars, not glued to other letters or digits, starting
 * with the first character of an address we know: BTC 1/3, LTC L/M, TRON T, Monero 4/8.
 */
const BASE58_RE = /(?<![0-9A-Za-z])[13LMT48][1-9A-HJ-NP-Za-km-z]{24,105}(?![0-9A-Za-z])/g;
/** Segwit candidates: hrp, separator `1`, data part of the bech32 alphabet. */
const BECH32_RE = /(?<![0-9A-Za-z])(?:bc|ltc)1[02-9ac-hj-np-z]{8,87}(?![0-9A-Za-z])/gi;
/**
 * A segwit address written in groups, as wallets show it for reading aloud and pages copy it:
 * `bc1q ar0s rrr7 xfkv …`. Four groups at least, of two to eight characters, one space apart.
 */
const BECH32_GROUPED_RE =
  /(?<![0-9A-Za-z])(?:bc|ltc)1[02-9ac-hj-np-z]{0,8}(?:[ \u00a0][02-9ac-hj-np-z]{2,8}){3,}(?![0-9A-Za-z])/gi;
/** Ethereum candidates: exactly 40 hex digits after 0x (a 64-hex tx hash does not fit). */
const ETH_RE = /(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])/g;

/** TON user-friendly candidates: mainnet flags (`E`/`U`), basechain `Q` or masterchain `f`, not inside a longer base64 run. */
const TON_RE = /(?<![0-9A-Za-z+/_-])[EU][Qf][0-9A-Za-z+/_-]{46}(?![0-9A-Za-z+/=_-])/g;
/** TON raw form: workchain, colon, 64 hex digits of the account id. */
const TON_RAW_RE = /(?<![0-9A-Za-z:-])(0|-1):([0-9a-fA-F]{64})(?![0-9A-Za-z])/g;

const XMR_NETBYTES: Record<number, string> = { 18: 'standard', 19: 'integrated', 42: 'subaddress' };

export function extractCrypto(text: string): Candidate[] {
  const out: Candidate[] = [];
  for (const m of text.matchAll(BASE58_RE)) {
    const c = checkBase58(m[0], m.index);
    if (c) out.push(c);
  }
  if (/bc1|ltc1/i.test(text)) {
    for (const m of text.matchAll(BECH32_RE)) {
      const c = checkSegwit(m[0], m.index);
      if (c) out.push(c);
    }
    for (const m of text.matchAll(BECH32_GROUPED_RE)) {
      const c = groupedSegwit(m[0], m.index);
      if (c) out.push(c);
    }
  }
  if (text.includes('0x')) {
    for (const m of text.matchAll(ETH_RE)) {
      const c = checkEth(m[0], m.index);
      if (c) out.push(c);
    }
  }
  for (const m of text.matchAll(TON_RE)) {
    const c = checkTon(m[0], m.index);
    if (c) out.push(c);
  }
  if (text.includes(':')) {
    for (const m of text.matchAll(TON_RAW_RE)) {
      const value = `${m[1]}:${m[2]!.toLowerCase()}`;
      out.push(candidate('ton', value, m.index, m.index + m[0].length, 'syntax:raw', false, PRIORITY.crypto));
    }
  }
  return out;
}

/** CRC16-XMODEM (polynomial 0x1021, initial 0), TON's address checksum. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function checkTon(s: string, start: number): Candidate | null {
  const bytes = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== 36) return null;
  const flags = bytes[0];
  const workchain = bytes[1];
  if ((flags !== 0x11 && flags !== 0x51) || (workchain !== 0x00 && workchain !== 0xff)) return null;
  if (crc16(bytes.subarray(0, 34)) !== bytes.readUInt16BE(34)) return null;
  const value = `${workchain === 0xff ? -1 : 0}:${bytes.subarray(2, 34).toString('hex')}`;
  const form = flags === 0x11 ? 'bounceable' : 'non-bounceable';
  return candidate('ton', value, start, start + s.length, `crc16:${form}`, false, PRIORITY.crypto);
}

function checkBase58(s: string, start: number): Candidate | null {
  const end = start + s.length;
  const first = s[0];
  if ((first === '4' || first === '8') && (s.length === 95 || s.length === 106)) {
    return isMoneroAddress(s)
      ? candidate('xmr', s, start, end, 'monero-checksum', false, PRIORITY.crypto)
      : null;
  }
  if (s.length > 35) return null;
  let payload: Uint8Array;
  try {
    payload = b58check.decode(s);
  } catch {
    return null;
  }
  if (payload.length !== 21) return null;
  const version = payload[0];
  if (version === 0x00 || version === 0x05) {
    return candidate('btc', s, start, end, 'base58check', false, PRIORITY.crypto);
  }
  if (version === 0x30 || version === 0x32) {
    return candidate('ltc', s, start, end, 'base58check', false, PRIORITY.crypto);
  }
  if (version === 0x41) return candidate('tron', s, start, end, 'base58check', false, PRIORITY.crypto);
  return null;
}

/** True for a mainnet Monero address (standard, integrated or subaddress) with a valid checksum. */
export function isMoneroAddress(s: string): boolean {
  let bytes: Uint8Array;
  try {
    bytes = base58xmr.decode(s);
  } catch {
    return false;
  }
  const expected = s.length === 95 ? 69 : 77;
  if (bytes.length !== expected) return false;
  const net = bytes[0] ?? -1;
  const kind = XMR_NETBYTES[net];
  if (!kind || (kind === 'integrated') !== (s.length === 106)) return false;
  const body = bytes.subarray(0, bytes.length - 4);
  const hash = keccak_256(body);
  for (let i = 0; i < 4; i++) {
    if (hash[i] !== bytes[body.length + i]) return false;
  }
  return true;
}

/**
 * `BECH32_GROUPED_RE`'s match read without its spaces; the words after the address may be in its
 * alphabet too (`… wf5m dq and`), so up to three last groups are let go until the checksum holds.
 */
function groupedSegwit(raw: string, start: number): Candidate | null {
  const groups = raw.split(/[ \u00a0]/);
  for (let drop = 0; drop <= 3 && groups.length - drop >= 4; drop++) {
    const kept = groups.slice(0, groups.length - drop);
    const c = checkSegwit(kept.join(''), start);
    if (c) return { ...c, span: [start, start + kept.join(' ').length], deobfuscated: true };
  }
  return null;
}

function checkSegwit(raw: string, start: number): Candidate | null {
  // BIP-173: mixed case is invalid; all upper-case is allowed.
  if (raw !== raw.toLowerCase() && raw !== raw.toUpperCase()) return null;
  const s = raw.toLowerCase();
  const end = start + raw.length;
  const type = s.startsWith('ltc1') ? 'ltc' : 'btc';
  const v0 = bech32.decodeUnsafe(s, 90);
  if (v0) {
    const program = bech32.fromWordsUnsafe(v0.words.slice(1));
    if (v0.words[0] !== 0 || !program || (program.length !== 20 && program.length !== 32)) return null;
    return candidate(type, s, start, end, 'bech32', false, PRIORITY.crypto);
  }
  const v1 = bech32m.decodeUnsafe(s, 90);
  if (v1) {
    const version = v1.words[0] ?? 0;
    const program = bech32m.fromWordsUnsafe(v1.words.slice(1));
    if (version < 1 || version > 16 || !program || program.length < 2 || program.length > 40) return null;
    return candidate(type, s, start, end, 'bech32m', false, PRIORITY.crypto);
  }
  return null;
}

/** EIP-55 checksum-case form of a 40-hex address (without 0x). */
export function toChecksumAddress(hex40: string): string {
  const lower = hex40.toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const ch = lower[i] ?? '';
    const nibble = ((hash[i >> 1] ?? 0) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}

function checkEth(s: string, start: number): Candidate | null {
  const hex = s.slice(2);
  const end = start + s.length;
  // Reject all-zero and trivially repetitive strings: placeholders, never a shop's wallet.
  if (/^(.)\1+$/.test(hex)) return null;
  const checksummed = toChecksumAddress(hex);
  if (hex === hex.toLowerCase()) {
    return candidate('eth', checksummed, start, end, 'hex-lowercase', false, PRIORITY.crypto);
  }
  if (hex === hex.toUpperCase()) {
    return candidate('eth', checksummed, start, end, 'hex-uppercase', false, PRIORITY.crypto);
  }
  return checksummed.slice(2) === hex
    ? candidate('eth', checksummed, start, end, 'eip55', false, PRIORITY.crypto)
    : null;
}
