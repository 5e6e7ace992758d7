/**
 * The HTTP fetcher: one URL in, one `FetchedPage` out, or an error that says what to do.
 * Everything it talks to is assumed hostile (see the options in `options.ts`).
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { NonRetryableError, RetryLaterError, TransientError } from '../../errors.ts';
import type { FetchedPage } from '../types.ts';
import { readBody } from './body.ts';
import type { BodyResult } from './body.ts';
import { decodeText, detectCharset } from './charset.ts';
import { getDispatcher, parseProxy } from './dispatchers.ts';
import type { ProxySpec } from './dispatchers.ts';
import { parseRetryAfter, toFetchError } from './fetch-errors.ts';
import type { HttpFetchOptions, ResolvedHttpOptions } from './options.ts';
import { DEFAULT_ACCEPT_TYPES, resolveOptions } from './options.ts';
import { classifyAddress, ipLiteral, isOnionHost } from './ssrf.ts';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TEXT_TYPES = new Set(DEFAULT_ACCEPT_TYPES);
const ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1';

/**
 * Fetch one URL over HTTP(S).
 *
 * - 2xx, 3xx without Location and 4xx other than 429 → the page (404/410 mean "gone"; the
 *   pipeline decides). A 3xx/4xx whose type is not accepted comes back with an empty body.
 * - 429 or 503 with Retry-After → RetryLaterError('http-status', delayMs); other 5xx and
 *   429/503 without it → TransientError('http-status').
 * - Redirects are followed by hand, at most `maxRedirects`; every hop is checked by `checkUrl`,
 *   the SSRF guard and the `.onion` rule; the hop URL is requested exactly as given by the server
 *   (fragment dropped), so normalise `finalUrl` yourself if you store it.
 * - Timeouts → TransientError('timeout'); network errors → TransientError('network'); proxy
 *   failures → TransientError('proxy') (never a direct connection instead).
 */
export async function fetchHttp(url: string, options: HttpFetchOptions = {}): Promise<FetchedPage> {
  const o = resolveOptions(options);
  const started = performance.now();
  const proxy = o.proxy === undefined ? undefined : parseProxy(o.proxy);
  const dispatcher = getDispatcher({
    proxy,
    allowPrivateNetwork: o.allowPrivateNetwork,
    connectTimeoutMs: o.connectTimeoutMs,
  });
  const redirects: string[] = [];
  const seen = new Set<string>();
  let current = url;

  for (;;) {
    const target = checkTarget(current, o, proxy);
    seen.add(target.href);
    const res = await send(target, o, dispatcher, proxy);
    const status = res.statusCode;
    const headers = flattenHeaders(res.headers);

    const location = headers['location'];
    if (REDIRECT_STATUSES.has(status) && location !== undefined && location.trim() !== '') {
      discard(res);
      const next = resolveLocation(location, target);
      if (redirects.length >= o.maxRedirects) {
        throw new NonRetryableError('redirect-limit', `${url}: more than ${o.maxRedirects} redirects`);
      }
      if (seen.has(next)) {
        throw new NonRetryableError('redirect-limit', `${url}: redirect loop back to ${next}`);
      }
      o.checkUrl?.(next);
      redirects.push(next);
      current = next;
      continue;
    }

    if (status === 429 || status >= 500) {
      discard(res);
      const msg = `${target.href}: HTTP ${status}`;
      if (status === 429 || status === 503) {
        const delay = parseRetryAfter(headers['retry-after'], o.maxRetryAfterMs);
        if (delay !== null)
          throw new RetryLaterError('http-status', `${msg}, retry after ${delay} ms`, delay);
      }
      throw new TransientError('http-status', msg);
    }

    const contentType = mediaType(headers['content-type']);
    const accepted = contentType === '' || o.acceptTypes.has(contentType);
    let result: BodyResult;
    if (accepted) {
      result = await readBodyMapped(res, headers, o, target.href, proxy, contentType);
    } else if (status >= 200 && status < 300) {
      discard(res);
      throw new NonRetryableError('content-type', `${target.href}: content type ${contentType} not accepted`);
    } else {
      discard(res);
      result = { body: Buffer.alloc(0), truncated: false, receivedBytes: 0 };
    }

    // Decoding takes a moment; let undici first release the connection for the next request.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const { charset } = detectCharset(result.body, headers['content-type']);
    return {
      url,
      finalUrl: target.href,
      status,
      headers,
      contentType,
      body: result.body,
      text: decodeText(result.body, charset),
      charset,
      truncated: result.truncated,
      via: 'http',
      fetchedAt: new Date().toISOString(),
      elapsedMs: Math.round(performance.now() - started),
      redirects,
      requestHeaders: requestHeaders(o),
    };
  }
}

/** Parse and vet one hop before any connection: scheme, `.onion` rule, literal private IPs. */
function checkTarget(raw: string, o: ResolvedHttpOptions, proxy: ProxySpec | undefined): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new NonRetryableError('invalid-url', `not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new NonRetryableError('invalid-url', `${raw}: only http and https are fetched`);
  }
  u.hash = '';
  if (isOnionHost(u.hostname)) {
    const remote = proxy?.kind === 'http' || (proxy?.kind === 'socks' && proxy.remoteDns);
    if (!remote) {
      throw new NonRetryableError('proxy', `${u.href}: .onion hosts need a socks5h:// (or http://) proxy`);
    }
  }
  const ip = ipLiteral(u.hostname);
  if (ip && !o.allowPrivateNetwork) {
    const cls = classifyAddress(ip);
    if (cls !== 'public') {
      throw new NonRetryableError('private-network', `${u.href}: refused to connect to ${cls} address ${ip}`);
    }
  }
  return u;
}

function resolveLocation(location: string, base: URL): string {
  let next: URL;
  try {
    next = new URL(location.trim(), base);
  } catch {
    throw new NonRetryableError(
      'invalid-url',
      `${base.href}: bad redirect location ${JSON.stringify(location)}`,
    );
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new NonRetryableError('invalid-url', `${base.href}: redirect to a non-http URL ${next.protocol}`);
  }
  next.hash = '';
  return next.href;
}

/** Send the request and wait for the headers, with the overall headers deadline and the caller's signal. */
async function send(
  target: URL,
  o: ResolvedHttpOptions,
  dispatcher: Dispatcher,
  proxy: ProxySpec | undefined,
): Promise<Dispatcher.ResponseData> {
  const ac = new AbortController();
  let timedOut = false;
  // undici's headersTimeout starts once the request is written; this deadline also covers
  // connecting and a server that trickles its headers forever.
  const deadline = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, o.connectTimeoutMs + o.headersTimeoutMs);
  const onAbort = (): void => ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted) throw new TransientError('network', `${target.href}: aborted`);
    return await dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers: requestHeaders(o),
      signal: ac.signal,
      headersTimeout: o.headersTimeoutMs,
      bodyTimeout: o.bodyTimeoutMs,
    });
  } catch (err) {
    if (timedOut) {
      throw new TransientError(
        'timeout',
        `${target.href}: no response headers within ${o.headersTimeoutMs} ms`,
        {
          cause: err,
        },
      );
    }
    if (o.signal?.aborted) throw new TransientError('network', `${target.href}: aborted`, { cause: err });
    throw toFetchError(err, { url: target.href, proxy: proxy?.kind, phase: 'connect' });
  } finally {
    clearTimeout(deadline);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function readBodyMapped(
  res: Dispatcher.ResponseData,
  headers: Record<string, string>,
  o: ResolvedHttpOptions,
  url: string,
  proxy: ProxySpec | undefined,
  contentType: string,
): Promise<BodyResult> {
  const onAbort = (): void => {
    res.body.destroy(new TransientError('network', `${url}: aborted`));
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await readBody(res.body, headers['content-encoding'], {
      url,
      maxBytes: o.maxBytes,
      maxCompressionRatio: o.maxCompressionRatio,
      bodyTimeoutMs: o.bodyTimeoutMs,
      contentType: headers['content-type'],
      // Only bodies that claim to be text are sniffed; a type the caller accepts on purpose
      // (application/pdf...) is returned as is.
      sniffBinary: o.sniffBinary && (contentType === '' || TEXT_TYPES.has(contentType)),
    });
  } catch (err) {
    throw toFetchError(err, { url, proxy: proxy?.kind, phase: 'body' });
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

function requestHeaders(o: ResolvedHttpOptions): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': o.userAgent, accept: ACCEPT };
  for (const [k, v] of Object.entries(o.headers)) h[k.toLowerCase()] = v;
  // Only encodings we can decode (and guard against bombs).
  h['accept-encoding'] = 'gzip, deflate, br';
  return h;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** `text/HTML; charset=x` → `text/html`. */
function mediaType(value: string | undefined): string {
  if (!value) return '';
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/** Drop a response body: close the stream (and its connection) without reading it. */
function discard(res: Dispatcher.ResponseData): void {
  // undici's body emits a RequestAbortedError when destroyed without a reason: swallow it.
  res.body.on('error', () => {});
  res.body.destroy();
}
