/**
 * undici dispatchers, one per distinct (proxy, allowPrivateNetwork, connect timeout), cached so
 * keep-alive connections are reused across fetches. `closeHttpDispatchers()` on shutdown.
 */
import type { TcpNetConnectOpts } from 'node:net';
import { Agent, buildConnector, ProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';
import { NonRetryableError } from '../../errors.ts';
import { buildSocksConnector } from './socks.ts';
import type { SocksProxySettings } from './socks.ts';
import { classifyAddress, createLookup, ipLiteral, isOnionHost } from './ssrf.ts';

/** A parsed `proxy` option. */
export type ProxySpec =
  | { kind: 'http'; url: string; display: string }
  | ({ kind: 'socks'; display: string } & SocksProxySettings);

/** Parse a proxy URL; NonRetryableError('proxy') when it is not one we support. */
export function parseProxy(proxy: string): ProxySpec {
  let u: URL;
  try {
    u = new URL(proxy);
  } catch {
    throw new NonRetryableError('proxy', `invalid proxy URL ${JSON.stringify(proxy)}`);
  }
  const display = `${u.protocol}//${u.host}`;
  if (u.protocol === 'http:' || u.protocol === 'https:') return { kind: 'http', url: u.href, display };
  if (u.protocol === 'socks5:' || u.protocol === 'socks5h:') {
    const port = u.port === '' ? 1080 : Number(u.port);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    return {
      kind: 'socks',
      display,
      host,
      port,
      remoteDns: u.protocol === 'socks5h:',
      userId: u.username === '' ? undefined : decodeURIComponent(u.username),
      password: u.password === '' ? undefined : decodeURIComponent(u.password),
    };
  }
  throw new NonRetryableError(
    'proxy',
    `unsupported proxy scheme ${u.protocol} (use http://, socks5:// or socks5h://)`,
  );
}

export interface DispatcherKey {
  proxy: ProxySpec | undefined;
  allowPrivateNetwork: boolean;
  connectTimeoutMs: number;
}

const KEEP_ALIVE = { keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 } as const;
const cache = new Map<string, Dispatcher>();

/** The cached dispatcher for these settings (created on first use). */
export function getDispatcher(k: DispatcherKey): Dispatcher {
  const key = JSON.stringify([k.proxy ?? null, k.allowPrivateNetwork, k.connectTimeoutMs]);
  let d = cache.get(key);
  if (!d) {
    d = createDispatcher(k);
    cache.set(key, d);
  }
  return d;
}

function createDispatcher(k: DispatcherKey): Dispatcher {
  if (k.proxy?.kind === 'http') {
    return new ProxyAgent({
      uri: k.proxy.url,
      proxyTls: { timeout: k.connectTimeoutMs },
      requestTls: { timeout: k.connectTimeoutMs },
      ...KEEP_ALIVE,
    });
  }
  if (k.proxy?.kind === 'socks') {
    const connect = buildSocksConnector({
      proxy: k.proxy,
      allowPrivateNetwork: k.allowPrivateNetwork,
      timeoutMs: k.connectTimeoutMs,
    });
    return new Agent({ connect, ...KEEP_ALIVE });
  }
  return new Agent({ connect: directConnector(k.allowPrivateNetwork, k.connectTimeoutMs), ...KEEP_ALIVE });
}

/**
 * Direct connections: the SSRF guard runs inside `net.connect` through a custom `lookup`, on the
 * very addresses connected to (no window for DNS rebinding); literal IP hosts, which `net.connect`
 * does not look up, are checked here.
 */
function directConnector(allowPrivateNetwork: boolean, timeoutMs: number): buildConnector.connector {
  // `lookup` is passed through to net.connect / tls.connect (TcpNetConnectOpts).
  const build: buildConnector.BuildOptions = {
    timeout: timeoutMs,
    keepAlive: true,
    lookup: createLookup(allowPrivateNetwork) as unknown as TcpNetConnectOpts['lookup'],
  } as buildConnector.BuildOptions;
  const base = buildConnector(build);
  return (opts, callback) => {
    if (isOnionHost(opts.hostname)) {
      callback(
        new NonRetryableError('proxy', `${opts.hostname}: .onion hosts need a socks5h:// proxy`),
        null,
      );
      return;
    }
    const ip = ipLiteral(opts.hostname);
    if (ip && !allowPrivateNetwork) {
      const cls = classifyAddress(ip);
      if (cls !== 'public') {
        callback(
          new NonRetryableError('private-network', `refused to connect to ${cls} address ${ip}`),
          null,
        );
        return;
      }
    }
    base(opts, callback);
  };
}

/** Close every cached dispatcher (graceful shutdown, end of tests). */
export async function closeHttpDispatchers(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.allSettled(all.map((d) => d.close()));
}
