import { NonRetryableError } from '../../errors.ts';

/** Playwright's proxy settings. */
export interface PlaywrightProxy {
  server: string;
  username?: string;
  password?: string;
}

/**
 * Turn a site's proxy URL into Playwright's settings. `socks5h://` becomes `socks5://`: Chromium
 * always sends SOCKS5 host names to the proxy (never resolves them locally). Chromium cannot
 * authenticate to SOCKS proxies, so credentials are only accepted for `http://`/`https://` proxies.
 */
export function toPlaywrightProxy(proxy: string): PlaywrightProxy {
  let u: URL;
  try {
    u = new URL(proxy);
  } catch {
    throw new NonRetryableError('proxy', `invalid proxy URL "${proxy}"`);
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (!u.hostname || !u.port)
    throw new NonRetryableError('proxy', `proxy URL "${proxy}" needs a host and port`);
  const hostPort = `${u.hostname}:${u.port}`;
  const creds = u.username || u.password;
  switch (scheme) {
    case 'http':
    case 'https': {
      const out: PlaywrightProxy = { server: `${scheme}://${hostPort}` };
      if (creds) {
        out.username = decodeURIComponent(u.username);
        out.password = decodeURIComponent(u.password);
      }
      return out;
    }
    case 'socks5':
    case 'socks5h':
      if (creds) throw new NonRetryableError('proxy', 'Chromium cannot authenticate to a SOCKS5 proxy');
      return { server: `socks5://${hostPort}` };
    case 'socks4':
      return { server: `socks4://${hostPort}` };
    default:
      throw new NonRetryableError('proxy', `unsupported proxy scheme "${scheme}" in "${proxy}"`);
  }
}
