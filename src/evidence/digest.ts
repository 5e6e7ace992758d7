import { createHash } from 'node:crypto';
import { base32 } from '@scure/base';

/** SHA-256 of `data` as 64 lower-case hex digits (the form used in manifests, object names and the store). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A WARC digest label: `sha256:` + the RFC 4648 base32 of the digest, upper-case and padded
 * (56 characters), exactly as warcio and pywb write `WARC-Payload-Digest` and `WARC-Block-Digest`.
 * Several `parts` are digested one after the other, as if joined (without joining them).
 */
export function warcDigest(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return `sha256:${base32.encode(h.digest())}`;
}

/** The WARC `sha256:<base32>` label of a SHA-256 given in hex (a digest already computed). */
export function warcDigestFromHex(sha256: string): string {
  return `sha256:${base32.encode(Buffer.from(sha256, 'hex'))}`;
}

/** The hex form of a WARC `sha256:<base32>` label (for comparing with manifest hashes); null if it is not one. */
export function warcDigestToHex(label: string): string | null {
  const m = /^sha256:([A-Z2-7]+=*)$/i.exec(label.trim());
  if (!m?.[1]) return null;
  try {
    const bytes = base32.decode(m[1].toUpperCase());
    return bytes.length === 32 ? Buffer.from(bytes).toString('hex') : null;
  } catch {
    return null;
  }
}

/**
 * A name-based UUID (RFC 9562 version 8) derived from `parts`, so the same capture always gets the
 * same `WARC-Record-ID` and the same WARC bytes (content addressing then stores it once).
 */
export function stableUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x80; // version 8
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
