/**
 * An undici `connect` function that opens every connection through a SOCKS5 proxy (the `socks`
 * package speaks the protocol). With `socks5h` the target host name is sent to the proxy as a
 * domain name and never resolved here — required for Tor and `.onion`; with `socks5` it is
 * resolved locally through the SSRF guard and the address is sent.
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import { SocksClient } from 'socks';
import { buildConnector } from 'undici';
import { NonRetryableError, TransientError } from '../../errors.ts';
import { assertPublicAddress, ipLiteral, isOnionHost, resolveChecked } from './ssrf.ts';

export interface SocksProxySettings {
  host: string;
  port: number;
  /** `true` for `socks5h` (the proxy resolves names). */
  remoteDns: boolean;
  userId?: string | undefined;
  password?: string | undefined;
}

export interface SocksConnectorOptions {
  proxy: SocksProxySettings;
  allowPrivateNetwork: boolean;
  /** Time for proxy TCP connect + SOCKS handshake + TLS. */
  timeoutMs: number;
}

/** Build the undici connector. Errors are already typed (TransientError('proxy'), ...). */
export function buildSocksConnector(o: SocksConnectorOptions): buildConnector.connector {
  const tlsUpgrade = buildConnector({ timeout: o.timeoutMs });
  const proxyName = `${o.proxy.host}:${o.proxy.port}`;

  return (opts, callback) => {
    let settled = false;
    let proxySocket: Socket | undefined;
    let proxyConnected = false;
    const finish = (err: Error | null, socket?: Socket): void => {
      if (settled) {
        if (socket && err === null) socket.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (err) {
        proxySocket?.destroy();
        callback(err, null);
      } else if (socket) {
        callback(null, socket);
      }
    };
    const timer = setTimeout(() => {
      const err = proxyConnected
        ? new TransientError('timeout', `SOCKS connection to ${opts.hostname} via ${proxyName} timed out`)
        : new TransientError('proxy', `SOCKS proxy ${proxyName} did not accept a connection in time`);
      finish(err);
    }, o.timeoutMs);

    const run = async (): Promise<void> => {
      const hostname = opts.hostname;
      const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
      const ip = ipLiteral(hostname);
      let destination: string;
      if (ip) {
        if (!o.allowPrivateNetwork) assertPublicAddress(ip);
        destination = ip;
      } else if (o.proxy.remoteDns) {
        destination = hostname;
      } else {
        if (isOnionHost(hostname)) {
          throw new NonRetryableError('proxy', `${hostname}: .onion needs a socks5h:// proxy, not socks5://`);
        }
        destination = await resolveChecked(hostname, o.allowPrivateNetwork);
      }

      proxySocket = await connectToProxy(o.proxy.host, o.proxy.port);
      proxyConnected = true;
      if (settled) {
        proxySocket.destroy();
        return;
      }
      let established: Socket;
      try {
        const res = await SocksClient.createConnection({
          proxy: {
            host: o.proxy.host,
            port: o.proxy.port,
            type: 5,
            ...(o.proxy.userId === undefined ? {} : { userId: o.proxy.userId }),
            ...(o.proxy.password === undefined ? {} : { password: o.proxy.password }),
          },
          command: 'connect',
          destination: { host: destination, port },
          existing_socket: proxySocket,
          timeout: o.timeoutMs,
        });
        established = res.socket;
      } catch (err) {
        // The proxy refused or failed the handshake (includes "host unreachable" replies).
        const detail = err instanceof Error ? err.message : String(err);
        throw new TransientError('proxy', `SOCKS proxy ${proxyName} could not reach ${hostname}: ${detail}`, {
          cause: err,
        });
      }
      if (opts.protocol === 'https:') {
        tlsUpgrade({ ...opts, httpSocket: established }, (err, socket) => {
          if (err) finish(err);
          else if (socket) finish(null, socket);
        });
      } else {
        finish(null, established);
      }
    };
    run().catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
  };
}

function connectToProxy(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const onError = (err: NodeJS.ErrnoException): void => {
      socket.destroy();
      reject(
        new TransientError('proxy', `SOCKS proxy ${host}:${port} unreachable: ${err.code ?? err.message}`, {
          cause: err,
        }),
      );
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
