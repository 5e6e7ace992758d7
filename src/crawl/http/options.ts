/** Options of the HTTP fetcher, field by field, with their defaults. */

export interface HttpFetchOptions {
  /** Time allowed to open the connection (DNS, TCP, proxy handshake, TLS). Default `10_000` ms. */
  connectTimeoutMs?: number;
  /**
   * Time allowed from sending the request to receiving the complete response headers (a server
   * that drips its headers is cut off when it runs out). Default `20_000` ms.
   */
  headersTimeoutMs?: number;
  /**
   * Time allowed for the whole body after the headers, and also the longest silence allowed
   * between two body chunks (slow-body / slowloris servers end with TransientError('timeout')).
   * Default `30_000` ms.
   */
  bodyTimeoutMs?: number;
  /**
   * Largest body kept, in bytes after decompression. Enforced while streaming: the request is
   * aborted as soon as the cap is reached and the page is returned with `truncated: true` and the
   * body cut at exactly `maxBytes`. Default `5 * 1024 * 1024` (5 MiB).
   */
  maxBytes?: number;
  /**
   * Decompression-bomb guard: once more than 1 MiB has been decompressed, a ratio of decoded to
   * received bytes above this fails the fetch with NonRetryableError('decompression-bomb')
   * (ordinary HTML compresses 5-20:1). A compressed body that is merely large (ratio under the
   * limit) is truncated at `maxBytes` like any other. Default `100`.
   */
  maxCompressionRatio?: number;
  /** Redirect hops followed (each re-checked by `checkUrl` and the SSRF guard). Default `5`. */
  maxRedirects?: number;
  /**
   * Scope check for every redirect hop (the first URL is the caller's business). Throw
   * NonRetryableError('out-of-scope') to refuse a hop; the error propagates unchanged.
   */
  checkUrl?: (url: string) => void;
  /**
   * Media types accepted for 2xx responses; anything else fails with
   * NonRetryableError('content-type') before the body is read. A response without a
   * Content-Type is accepted (and sniffed for binary content). Default: `text/html`,
   * `application/xhtml+xml`, `text/plain`, `application/xml`, `text/xml`.
   */
  acceptTypes?: string[];
  /**
   * Refuse a body served as text that starts like a binary file. Turn off to fetch files that are
   * binary on purpose (gzip sitemaps served as `text/xml`). Default `true`.
   */
  sniffBinary?: boolean;
  /** User-Agent header. Default `Spiderweb/0.1 (+monitoring)`. */
  userAgent?: string;
  /** Extra request headers (for example `accept-language`, `cookie`). */
  headers?: Record<string, string>;
  /**
   * Allow connecting to loopback, private, link-local, CGNAT, multicast and reserved addresses.
   * Only for tests, the demo and sites deliberately hosted on an internal network. Default `false`.
   */
  allowPrivateNetwork?: boolean;
  /**
   * Proxy for this site: `http://host:port` (HTTP CONNECT), `socks5://host:port` (the target name
   * is resolved locally, then checked by the SSRF guard) or `socks5h://host:port` (the name is
   * sent to the proxy and never resolved locally; Tor is `socks5h://127.0.0.1:9050`). User and
   * password in the URL are sent to the proxy. A fetch with a proxy never falls back to a direct
   * connection: a proxy that cannot be reached fails with TransientError('proxy').
   * `.onion` hosts require `socks5h://` or `http://` (never resolved locally); without one they
   * fail with NonRetryableError('proxy').
   */
  proxy?: string | undefined;
  /**
   * Upper bound for a server's Retry-After, so a hostile `Retry-After: 999999999` cannot park a
   * job for years. Default `3_600_000` ms (1 hour).
   */
  maxRetryAfterMs?: number;
  /** Abort the fetch (shutdown). The fetch rejects with TransientError('network'). */
  signal?: AbortSignal;
}

export const DEFAULT_ACCEPT_TYPES: readonly string[] = [
  'text/html',
  'application/xhtml+xml',
  'text/plain',
  'application/xml',
  'text/xml',
];

export const DEFAULT_USER_AGENT = 'Spiderweb/0.1 (+monitoring)';

/** {@link HttpFetchOptions} with every default filled in. */
export interface ResolvedHttpOptions {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  maxBytes: number;
  maxCompressionRatio: number;
  maxRedirects: number;
  checkUrl: ((url: string) => void) | undefined;
  acceptTypes: Set<string>;
  sniffBinary: boolean;
  userAgent: string;
  headers: Record<string, string>;
  allowPrivateNetwork: boolean;
  proxy: string | undefined;
  maxRetryAfterMs: number;
  signal: AbortSignal | undefined;
}

export function resolveOptions(o: HttpFetchOptions): ResolvedHttpOptions {
  return {
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: o.headersTimeoutMs ?? 20_000,
    bodyTimeoutMs: o.bodyTimeoutMs ?? 30_000,
    maxBytes: o.maxBytes ?? 5 * 1024 * 1024,
    maxCompressionRatio: o.maxCompressionRatio ?? 100,
    maxRedirects: o.maxRedirects ?? 5,
    checkUrl: o.checkUrl,
    acceptTypes: new Set((o.acceptTypes ?? DEFAULT_ACCEPT_TYPES).map((t) => t.trim().toLowerCase())),
    sniffBinary: o.sniffBinary ?? true,
    userAgent: o.userAgent ?? DEFAULT_USER_AGENT,
    headers: o.headers ?? {},
    allowPrivateNetwork: o.allowPrivateNetwork ?? false,
    proxy: o.proxy === undefined || o.proxy.trim() === '' ? undefined : o.proxy.trim(),
    maxRetryAfterMs: o.maxRetryAfterMs ?? 3_600_000,
    signal: o.signal,
  };
}
