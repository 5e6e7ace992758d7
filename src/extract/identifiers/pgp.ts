import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64, hex } from '@scure/base';
import { type Candidate, PRIORITY, candidate } from './context.ts';

/**
 * PGP public keys.
 * - An armored `BEGIN PGP PUBLIC KEY BLOCK`: the first packet is parsed and the value is the key's
 *   OpenPGP fingerprint (v4: SHA-1, v5/v6: SHA-256; upper-case hex), so a block and a fingerprint
 *   quoted elsewhere link. Works on page text whose newlines were collapsed to spaces. When the
 *   block cannot be parsed the value is `sha256:` + hash of its base64 body (validated `sha256-armor`).
 * - A 40-hex fingerprint (contiguous or in blocks of four) within 80 characters after a
 *   fingerprint/PGP/GPG/отпечаток/ключ keyword; a bare 40-hex string is a hash, not a key.
 */

const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END = '-----END PGP PUBLIC KEY BLOCK-----';
// The first digit before the lookbehind: one that opens a pattern is tried at every character.
const FPR_RE =
  /[0-9A-Fa-f](?<![0-9A-Za-z].)[0-9A-Fa-f]{3}(?:[ \u00a0]{0,2}[0-9A-Fa-f]{4}){9}(?![0-9A-Za-z])(?![ \u00a0]{1,2}[0-9A-Fa-f]{4}(?![0-9A-Za-z]))/g;
const FPR_WORD = /fingerprint|fpr|pgp|gpg|openpgp|отпечат|ключ|指纹/gi;
/** How far after a keyword a fingerprint may start, plus its own longest written length. */
const FPR_REACH = 80 + 58;
const HEX_OR_WORD = /[0-9A-Za-z]/;
const B64_TOKEN = /^[A-Za-z0-9+/]+={0,2}$/;

export function extractPgp(text: string): Candidate[] {
  const out: Candidate[] = [];
  for (let begin = text.indexOf(BEGIN); begin !== -1; ) {
    const end = text.indexOf(END, begin + BEGIN.length);
    if (end === -1) break;
    // Of several BEGIN lines before one END, the last one opens the block.
    const last = text.lastIndexOf(BEGIN, end);
    const { value, validated } = keyOfArmor(text.slice(last + BEGIN.length, end));
    out.push(candidate('pgp', value, last, end + END.length, validated, false, PRIORITY.pgpBlock));
    begin = text.indexOf(BEGIN, end + END.length);
  }
  // Scan only the stretch after each keyword: a bare 40-hex string is a hash, not a key.
  for (const k of text.matchAll(FPR_WORD)) {
    const base = k.index + k[0].length;
    const window = text.slice(base, base + FPR_REACH);
    for (const m of window.matchAll(FPR_RE)) {
      const start = base + m.index;
      const end = start + m[0].length;
      if (m.index > 80 || HEX_OR_WORD.test(text[end] ?? '')) continue;
      const raw = m[0].replace(/[ \u00a0]/g, '');
      if (raw !== raw.toLowerCase() && raw !== raw.toUpperCase()) continue;
      out.push(
        candidate('pgp', raw.toUpperCase(), start, end, 'syntax:fingerprint', false, PRIORITY.keyword),
      );
    }
  }
  return out;
}

/** Fingerprint of the key in an armor body (headers, base64, `=CRC`), or a hash of the body. */
export function keyOfArmor(body: string): { value: string; validated: string } {
  const tokens = body.split(/\s+/).filter((t) => t.length > 0);
  // Drop the CRC24 line ("=AbCd") at the end.
  const last = tokens[tokens.length - 1];
  if (last !== undefined && /^=[A-Za-z0-9+/]{4}$/.test(last)) tokens.pop();
  // Armor headers ("Version: GnuPG v2", "Comment: …") come first; try each start until the base64
  // decodes to a public-key packet.
  let firstB64 = tokens.length;
  while (firstB64 > 0 && B64_TOKEN.test(tokens[firstB64 - 1] ?? '')) firstB64--;
  for (let i = firstB64; i < Math.min(tokens.length, firstB64 + 40); i++) {
    const joined = tokens.slice(i).join('');
    let bytes: Uint8Array;
    try {
      bytes = base64.decode(joined);
    } catch {
      continue;
    }
    const fpr = fingerprintOfPacket(bytes);
    if (fpr) return fpr;
  }
  // Unparseable: hash the body after the last header token, so the same block still links.
  let firstBody = 0;
  tokens.forEach((t, i) => {
    if (t.includes(':')) firstBody = i + 2;
  });
  const normalised = tokens.slice(Math.min(firstBody, tokens.length)).join('');
  return {
    value: `sha256:${hex.encode(sha256(new TextEncoder().encode(normalised)))}`,
    validated: 'sha256-armor',
  };
}

/** OpenPGP fingerprint of the first packet when it is a public key (tag 6), else null. */
export function fingerprintOfPacket(bytes: Uint8Array): { value: string; validated: string } | null {
  const b0 = bytes[0];
  if (b0 === undefined || (b0 & 0x80) === 0) return null;
  let tag: number;
  let len: number;
  let off: number;
  if (b0 & 0x40) {
    tag = b0 & 0x3f;
    const o1 = bytes[1] ?? 0;
    if (o1 < 192) [len, off] = [o1, 2];
    else if (o1 < 224) [len, off] = [((o1 - 192) << 8) + (bytes[2] ?? 0) + 192, 3];
    else if (o1 === 255) [len, off] = [readU32(bytes, 2), 6];
    else return null;
  } else {
    tag = (b0 >> 2) & 0x0f;
    const lt = b0 & 3;
    if (lt === 0) [len, off] = [bytes[1] ?? 0, 2];
    else if (lt === 1) [len, off] = [((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0), 3];
    else if (lt === 2) [len, off] = [readU32(bytes, 1), 5];
    else return null;
  }
  if (tag !== 6 || off + len > bytes.length || len < 6) return null;
  const packet = bytes.subarray(off, off + len);
  const version = packet[0];
  if (version === 4) {
    const head = Uint8Array.of(0x99, (len >> 8) & 0xff, len & 0xff);
    return { value: hex.encode(sha1(concat(head, packet))).toUpperCase(), validated: 'openpgp-v4' };
  }
  if (version === 5 || version === 6) {
    const head = Uint8Array.of(
      version === 5 ? 0x9a : 0x9b,
      (len >>> 24) & 0xff,
      (len >> 16) & 0xff,
      (len >> 8) & 0xff,
      len & 0xff,
    );
    return {
      value: hex.encode(sha256(concat(head, packet))).toUpperCase(),
      validated: `openpgp-v${version}`,
    };
  }
  return null;
}

function readU32(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) >>> 0) + ((b[at + 1] ?? 0) << 16) + ((b[at + 2] ?? 0) << 8) + (b[at + 3] ?? 0);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
