/**
 * Turning what undici, node:net, node:tls and the SOCKS client throw into the three errors that
 * tell a worker what to do. Decided by error class and `code`, never by message text.
 */
import { errors } from 'undici';
import type { SpiderwebError } from '../../errors.ts';
import { NonRetryableError, RetryLaterError, TransientError } from '../../errors.ts';

/** Where the fetch was when it failed. */
export type FetchPhase = 'connect' | 'body';

export interface ErrorContext {
  url: string;
  /** The proxy kind in use, if any (`http` = HTTP CONNECT through undici's ProxyAgent). */
  proxy: 'http' | 'socks' | undefined;
  phase: FetchPhase;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TLS_CERT_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_REVOKED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function codeOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const c = (err as { code: unknown }).code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}

/** Our own error somewhere in the `cause` chain (undici sometimes wraps connector errors). */
function findOwn(err: unknown): SpiderwebError | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e instanceof NonRetryableError || e instanceof RetryLaterError || e instanceof TransientError) {
      return e;
    }
    e = e.cause;
  }
  return undefined;
}

/** Map any fetch failure onto NonRetryableError / RetryLaterError / TransientError. */
export function toFetchError(err: unknown, ctx: ErrorContext): SpiderwebError {
  const own = findOwn(err);
  if (own) return own;
  const code = codeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  const msg = `${ctx.url}: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}`;
  const opts = { cause: err };

  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TransientError('timeout', msg, opts);
  }
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return new NonRetryableError('too-large', msg, opts);
  // A response that breaks HTTP/1.1 syntax (a bad header name, a bad chunk size...) comes back the same
  // way each time: retrying only hits the server again.
  if (err instanceof errors.HTTPParserError) return new NonRetryableError('network', msg, opts);
  if (code && TLS_CERT_CODES.has(code)) return new NonRetryableError('network', msg, opts);
  if (ctx.proxy === 'http' && ctx.phase === 'connect') {
    // Through an HTTP proxy every local connection goes to the proxy; a refused tunnel
    // (CONNECT answered with non-200) surfaces as UND_ERR_ABORTED.
    if ((code && CONNECT_CODES.has(code)) || code === 'UND_ERR_ABORTED' || code === 'UND_ERR_SOCKET') {
      return new TransientError('proxy', msg, opts);
    }
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new TransientError('timeout', msg, opts);
  return new TransientError('network', msg, opts);
}

/**
 * Milliseconds to wait from a Retry-After value (delay in seconds, or an HTTP date), capped at
 * `maxMs`; `null` when absent or unparsable.
 */
export function parseRetryAfter(
  value: string | undefined,
  maxMs: number,
  now: number = Date.now(),
): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (v === '') return null;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, maxMs);
  if (!/[a-z]/i.test(v)) return null;
  const at = Date.parse(v);
  if (!Number.isFinite(at)) return null;
  return Math.min(Math.max(0, at - now), maxMs);
}
