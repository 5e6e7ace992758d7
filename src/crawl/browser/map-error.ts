import { NonRetryableError, SpiderwebError, TransientError, errorMessage } from '../../errors.ts';
import { playwright } from './playwright.ts';

/**
 * Chromium reports network failures only as text (`net::ERR_PROXY_CONNECTION_FAILED at ...`).
 * This is the one place that reads that text: it extracts Chromium's stable `net::ERR_*` code and
 * maps it onto our error classes. Everything downstream decides by class and `reason`.
 */
export function chromiumNetError(err: unknown): string | undefined {
  return /net::(ERR_[A-Z0-9_]+)/.exec(errorMessage(err))?.[1];
}

const PROXY_CODES = new Set([
  'ERR_PROXY_CONNECTION_FAILED',
  'ERR_TUNNEL_CONNECTION_FAILED',
  'ERR_SOCKS_CONNECTION_FAILED',
  'ERR_SOCKS_CONNECTION_HOST_UNREACHABLE',
  'ERR_PROXY_AUTH_REQUESTED',
  'ERR_PROXY_AUTH_UNSUPPORTED',
  'ERR_NO_SUPPORTED_PROXIES',
  'ERR_PROXY_CERTIFICATE_INVALID',
  'ERR_MANDATORY_PROXY_CONFIGURATION_FAILED',
]);

/** Map anything a render throws onto the error classes of `src/errors.ts`. */
export function mapRenderError(err: unknown, url: string, viaProxy: boolean): SpiderwebError {
  if (err instanceof SpiderwebError) return err;
  const msg = errorMessage(err).split('\n')[0] ?? '';
  if (err instanceof playwright().errors.TimeoutError)
    return new TransientError('timeout', `${url}: ${msg}`, { cause: err });
  if (/Download is starting/i.test(msg)) {
    return new NonRetryableError('content-type', `${url}: the page is a download (refused)`, { cause: err });
  }
  const code = chromiumNetError(err);
  if (code) {
    const m = `${url}: ${code}`;
    if (PROXY_CODES.has(code)) {
      return viaProxy
        ? new TransientError('proxy', `${m} (proxy failed)`, { cause: err })
        : new TransientError('network', m, { cause: err });
    }
    if (code === 'ERR_TIMED_OUT' || code === 'ERR_CONNECTION_TIMED_OUT') {
      return new TransientError('timeout', m, { cause: err });
    }
    if (code === 'ERR_TOO_MANY_REDIRECTS') return new NonRetryableError('redirect-limit', m, { cause: err });
    if (code === 'ERR_INVALID_URL' || code === 'ERR_UNSAFE_PORT' || code === 'ERR_UNKNOWN_URL_SCHEME') {
      return new NonRetryableError('invalid-url', m, { cause: err });
    }
    if (/^ERR_(CERT_|SSL_)/.test(code)) return new NonRetryableError('network', m, { cause: err });
    return new TransientError('network', m, { cause: err });
  }
  return new TransientError('browser', `${url}: ${msg}`, { cause: err });
}
