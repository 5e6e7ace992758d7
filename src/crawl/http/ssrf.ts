/**
 * SSRF guard: which IP addresses a crawl may connect to. Crawled pages are hostile: a link or a
 * redirect to `http://169.254.169.254/` or a name that resolves to `10.0.0.5` must not reach the
 * unit's own network. The check runs on the address actually connected to (see `guardedLookup`),
 * so DNS rebinding between a check and the connect cannot slip past.
 */
import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import net from 'node:net';
import { NonRetryableError } from '../../errors.ts';

/** Why an address is refused, or `public` when it may be crawled. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'reserved'
  | 'invalid';

interface V4Range {
  base: number;
  bits: number;
  cls: AddressClass;
}

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

const V4_RANGES: V4Range[] = [
  { base: v4(0, 0, 0, 0), bits: 8, cls: 'unspecified' },
  { base: v4(10, 0, 0, 0), bits: 8, cls: 'private' },
  { base: v4(100, 64, 0, 0), bits: 10, cls: 'cgnat' },
  { base: v4(127, 0, 0, 0), bits: 8, cls: 'loopback' },
  { base: v4(169, 254, 0, 0), bits: 16, cls: 'link-local' },
  { base: v4(172, 16, 0, 0), bits: 12, cls: 'private' },
  { base: v4(192, 0, 0, 0), bits: 24, cls: 'reserved' },
  { base: v4(192, 0, 2, 0), bits: 24, cls: 'reserved' },
  { base: v4(192, 88, 99, 0), bits: 24, cls: 'reserved' },
  { base: v4(192, 168, 0, 0), bits: 16, cls: 'private' },
  { base: v4(198, 18, 0, 0), bits: 15, cls: 'reserved' },
  { base: v4(198, 51, 100, 0), bits: 24, cls: 'reserved' },
  { base: v4(203, 0, 113, 0), bits: 24, cls: 'reserved' },
  { base: v4(224, 0, 0, 0), bits: 4, cls: 'multicast' },
  { base: v4(240, 0, 0, 0), bits: 4, cls: 'reserved' },
];

function parseV4(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const o = Number(p);
    if (o > 255) return null;
    n = n * 256 + o;
  }
  return n >>> 0;
}

function classifyV4Int(n: number): AddressClass {
  for (const r of V4_RANGES) {
    const mask = r.bits === 0 ? 0 : (~0 << (32 - r.bits)) >>> 0;
    if ((n & mask) >>> 0 === r.base) return r.cls;
  }
  return 'public';
}

/** Parse an IPv6 address (zone id ignored, embedded IPv4 allowed) into eight 16-bit words. */
function parseV6(input: string): number[] | null {
  let ip = input;
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  if (!net.isIPv6(ip)) return null;
  let tail: number[] = [];
  const lastColon = ip.lastIndexOf(':');
  const last = ip.slice(lastColon + 1);
  if (last.includes('.')) {
    const n = parseV4(last);
    if (n === null) return null;
    tail = [n >>> 16, n & 0xffff];
    ip = `${ip.slice(0, lastColon + 1)}0`; // placeholder word, replaced below
  }
  const halves = ip.split('::');
  const toWords = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  let words: number[];
  if (halves.length === 2) {
    const head = toWords(halves[0] ?? '');
    const rest = toWords(halves[1] ?? '');
    const fill = 8 - head.length - rest.length - (tail.length > 0 ? 1 : 0);
    words = [...head, ...new Array<number>(Math.max(fill, 0)).fill(0), ...rest];
  } else {
    words = toWords(ip);
  }
  if (tail.length > 0) words = [...words.slice(0, -1), ...tail];
  return words.length === 8 ? words : null;
}

function classifyV6(w: number[]): AddressClass {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = w;
  const embedded = ((w6 << 16) | w7) >>> 0;
  const first5Zero = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0;
  if (first5Zero && w5 === 0 && w6 === 0) {
    if (w7 === 0) return 'unspecified';
    if (w7 === 1) return 'loopback';
  }
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated): judge the IPv4 address.
  if (first5Zero && (w5 === 0xffff || w5 === 0)) return classifyV4Int(embedded);
  // 64:ff9b::/96 NAT64 well-known prefix: the IPv4 address is in the low 32 bits.
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return classifyV4Int(embedded);
  }
  // 2002::/16 6to4: the IPv4 address is in words 1-2.
  if (w0 === 0x2002) return classifyV4Int(((w1 << 16) | w2) >>> 0);
  // 2001:0::/32 Teredo: the client IPv4 address is the low 32 bits, inverted.
  if (w0 === 0x2001 && w1 === 0) return classifyV4Int(~embedded >>> 0);
  if ((w0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((w0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((w0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((w0 & 0xff00) === 0xff00) return 'multicast';
  if (w0 === 0x2001 && w1 === 0x0db8) return 'reserved'; // documentation
  if (w0 === 0x0100 && w1 === 0 && w2 === 0 && w3 === 0) return 'reserved'; // discard-only
  return 'public';
}

/**
 * Classify an IP address literal (IPv4 dotted quad or IPv6, brackets and zone ids tolerated).
 * Anything other than `public` is refused unless `allowPrivateNetwork` is set.
 */
export function classifyAddress(address: string): AddressClass {
  let ip = address.trim();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const n = parseV4(ip);
  if (n !== null) return classifyV4Int(n);
  const words = parseV6(ip);
  if (words === null) return 'invalid';
  return classifyV6(words);
}

/** True when a crawl must not connect to this address without `allowPrivateNetwork`. */
export function isForbiddenAddress(address: string): boolean {
  return classifyAddress(address) !== 'public';
}

/** Throw NonRetryableError('private-network') when `address` is not public. */
export function assertPublicAddress(address: string, host: string = address): void {
  const cls = classifyAddress(address);
  if (cls !== 'public') {
    const via = host === address ? '' : ` (${host} resolves to it)`;
    throw new NonRetryableError('private-network', `refused to connect to ${cls} address ${address}${via}`);
  }
}

/** `net.isIP` that also accepts `[v6]`. */
export function ipLiteral(host: string): string | null {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return net.isIP(h) === 0 ? null : h;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** True for `.onion` names, which must never reach a local resolver. */
export function isOnionHost(hostname: string): boolean {
  return /\.onion\.?$/i.test(hostname);
}

/** The `lookup` signature `net.connect` and `tls.connect` accept. */
export type ConnectLookup = (
  hostname: string,
  options: LookupOneOptions | LookupAllOptions | number | undefined,
  callback: LookupCallback,
) => void;

/**
 * A `lookup` for `net.connect`/`tls.connect`. It never resolves `.onion` names (they fail with
 * NonRetryableError('proxy')). Unless `allowPrivateNetwork`, it resolves every address of the host
 * and refuses the connection (NonRetryableError('private-network')) when ANY of them is not
 * public: a name that mixes public and private answers is how rebinding attacks are staged, so it
 * is refused whole. Handles both the single-address and the `all: true` (autoSelectFamily) forms.
 */
export function createLookup(allowPrivateNetwork: boolean): ConnectLookup {
  return (hostname, options, callback) => {
    const opts = typeof options === 'object' && options !== null ? options : {};
    const family = typeof options === 'number' ? options : (opts.family ?? 0);
    const wantAll = 'all' in opts && opts.all === true;
    if (isOnionHost(hostname)) {
      callback(new NonRetryableError('proxy', `refused to resolve ${hostname} locally`), '');
      return;
    }
    dns.lookup(hostname, { all: true, family }, (err, addresses) => {
      if (err) {
        callback(err, '');
        return;
      }
      if (!allowPrivateNetwork) {
        for (const a of addresses) {
          const cls = classifyAddress(a.address);
          if (cls !== 'public') {
            const msg = `refused to connect to ${hostname}: it resolves to ${cls} address ${a.address}`;
            callback(new NonRetryableError('private-network', msg), '');
            return;
          }
        }
      }
      if (wantAll) {
        callback(null, addresses);
        return;
      }
      const first = addresses[0];
      if (!first) {
        const e: NodeJS.ErrnoException = new Error(`no address for ${hostname}`);
        e.code = 'ENOTFOUND';
        callback(e, '');
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

/** Resolve `hostname` to one address through {@link createLookup} (SOCKS5 with local DNS). */
export function resolveChecked(hostname: string, allowPrivateNetwork: boolean): Promise<string> {
  const lookup = createLookup(allowPrivateNetwork);
  return new Promise((resolve, reject) => {
    lookup(hostname, { all: false }, (err, address) => {
      if (err) reject(err);
      else resolve(address as string);
    });
  });
}
