/**
 * URL hygiene for the frontier: one canonical spelling per page, so the same page is never queued
 * twice under two names, plus the keys used by the trap guards (pages per URL pattern, repeated
 * path segments).
 */

/** Query parameters always removed (session ids and click trackers). `utm_*` is matched as a prefix. */
const BUILTIN_STRIP = ['utm_*', 'sid', 'phpsessid', 'jsessionid', 'sessionid', 'fbclid', 'gclid'];

const UNRESERVED = /[A-Za-z0-9\-._~]/;

export interface NormaliseOptions {
  /**
   * Extra query parameter names to remove (case-insensitive), added to the built-in ones
   * (`utm_*`, `sid`, `phpsessid`, `jsessionid`, `sessionid`, `fbclid`, `gclid`).
   * A trailing `*` matches a prefix (`ref_*`).
   */
  stripParams?: string[] | undefined;
}

interface ParamMatcher {
  exact: Set<string>;
  prefixes: string[];
}

const matcherCache = new Map<string, ParamMatcher>();

function paramMatcher(extra: string[] | undefined): ParamMatcher {
  const key = extra && extra.length > 0 ? extra.join('\u0000') : '';
  const cached = matcherCache.get(key);
  if (cached) return cached;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of [...BUILTIN_STRIP, ...(extra ?? [])]) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    if (name.endsWith('*')) prefixes.push(name.slice(0, -1));
    else exact.add(name);
  }
  const matcher = { exact, prefixes };
  if (matcherCache.size > 256) matcherCache.clear();
  matcherCache.set(key, matcher);
  return matcher;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Upper-case percent-escapes and decode the ones that stand for unreserved characters (RFC 3986 §6.2.2). */
export function normalisePercentEncoding(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}

/**
 * The canonical form of a URL, or `null` when it is not an absolute http(s) URL
 * (`mailto:`, `javascript:`, `data:`, unparsable...).
 *
 * - scheme and host lower-cased, IDN hosts in punycode, a trailing dot on the host removed;
 * - default ports removed, user name and password removed, fragment removed;
 * - dot segments resolved, `;jsessionid=...` path parameters removed;
 * - percent-escapes upper-cased, escapes of unreserved characters decoded;
 * - session and tracking query parameters removed (see {@link NormaliseOptions.stripParams}),
 *   the remaining ones sorted by name (stable: repeated names keep their order), an empty query dropped.
 *
 * Query values are otherwise kept byte for byte (`+` and `%20` are not unified) since servers differ.
 */
export function normaliseUrl(input: string, base?: string, opts: NormaliseOptions = {}): string | null {
  let url: URL;
  try {
    url = base === undefined ? new URL(input) : new URL(input, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  let host = url.hostname;
  if (host === '') return null;
  if (host.endsWith('.') && !host.startsWith('[')) host = host.replace(/\.+$/, '');
  if (host === '') return null;
  const port = url.port === '' ? '' : `:${url.port}`;

  let path = url.pathname.replace(/;jsessionid=[^/?#]*/gi, '');
  path = normalisePercentEncoding(path);
  if (path === '') path = '/';

  const query = normaliseQuery(url.search, paramMatcher(opts.stripParams));
  return `${url.protocol}//${host}${port}${path}${query}`;
}

function normaliseQuery(search: string, matcher: ParamMatcher): string {
  if (search.length <= 1) return '';
  const kept: Array<{ key: string; piece: string }> = [];
  for (const rawPiece of search.slice(1).split('&')) {
    if (rawPiece === '') continue;
    const piece = normalisePercentEncoding(rawPiece);
    const eq = piece.indexOf('=');
    const key = eq === -1 ? piece : piece.slice(0, eq);
    const name = safeDecode(key).toLowerCase();
    if (matcher.exact.has(name) || matcher.prefixes.some((p) => name.startsWith(p))) continue;
    kept.push({ key, piece });
  }
  if (kept.length === 0) return '';
  // Array.prototype.sort is stable, so repeated names keep their relative order.
  kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return `?${kept.map((k) => k.piece).join('&')}`;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const HEX_ID = /^(?=.*\d)[0-9a-f]{8,}$/i;
/** Long opaque tokens (base64/base62 ids, hashes): at least 16 characters mixing letters and digits. */
const TOKEN_ID = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$/;

function segmentPattern(segment: string): string {
  if (UUID.test(segment) || HEX_ID.test(segment) || TOKEN_ID.test(segment)) return '{id}';
  return segment.replace(/\d+/g, '{n}');
}

/**
 * A key that groups URLs of the same shape, for the "pages per URL pattern" cap (endless calendars,
 * infinite pagination): host and path with digit runs replaced by `{n}`, hex, UUID and long opaque
 * segments by `{id}`, and query values by `{v}` (names kept, sorted).
 *
 * `https://shop.example/cal/2024/05/01?page=7&view=day` → `shop.example/cal/{n}/{n}/{n}?page={v}&view={v}`.
 * A string that is not a URL is returned unchanged.
 */
export function urlPatternKey(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  const path = u.pathname
    .split('/')
    .map((seg) => (seg === '' ? seg : segmentPattern(seg)))
    .join('/');
  const names = [...u.searchParams.keys()].map((k) => k.toLowerCase());
  names.sort();
  const query = names.length > 0 ? `?${[...new Set(names)].map((n) => `${n}={v}`).join('&')}` : '';
  return `${u.host}${path}${query}`;
}

/**
 * The largest number of times one path segment occurs in the URL's path (0 for `/`), for the
 * repeated-segment trap guard: `/a/b/a/b/a/` → 3. Segments are compared after percent-decoding,
 * case-sensitively. A string that is not a URL gives 0.
 */
export function repeatedSegmentCount(url: string): number {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 0;
  }
  const counts = new Map<string, number>();
  let max = 0;
  for (const seg of u.pathname.split('/')) {
    if (seg === '') continue;
    const key = safeDecode(seg);
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n > max) max = n;
  }
  return max;
}
