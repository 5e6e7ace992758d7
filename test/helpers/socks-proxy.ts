/**
 * A small SOCKS5 proxy for tests (RFC 1928: no authentication, CONNECT only; IPv4, domain-name
 * and IPv6 address types). It records every destination exactly as the client sent it, so a test
 * can assert that a host name reached the proxy unresolved, then pipes to the target. `route`
 * maps a requested destination to where it really connects (e.g. any `.onion` → a local server).
 */
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface SocksRequest {
  /** The host as sent: an IP literal for address types 1 and 4, the name for type 3. */
  host: string;
  port: number;
  addressType: 'ipv4' | 'domain' | 'ipv6';
  at: number;
}

export interface SocksProxy {
  port: number;
  /** `socks5h://127.0.0.1:<port>`. */
  url: string;
  requests: SocksRequest[];
  close(): Promise<void>;
}

export interface SocksProxyOptions {
  route?: (host: string, port: number) => { host: string; port: number };
}

const REPLY = {
  ok: 0x00,
  failure: 0x01,
  hostUnreachable: 0x04,
  refused: 0x05,
  badCommand: 0x07,
  badAddress: 0x08,
};

function reply(socket: Socket, code: number): void {
  socket.write(Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
}

interface Reader {
  /** Exactly `n` bytes. */
  read(n: number): Promise<Buffer>;
  /** Stop reading; returns what was received beyond the last read. */
  detach(): Buffer;
}

function reader(socket: Socket): Reader {
  let buffered = Buffer.alloc(0);
  let waiting: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  const pump = (): void => {
    if (waiting && buffered.length >= waiting.n) {
      const out = buffered.subarray(0, waiting.n);
      buffered = buffered.subarray(waiting.n);
      const w = waiting;
      waiting = undefined;
      w.resolve(out);
    }
  };
  const onData = (d: Buffer): void => {
    buffered = Buffer.concat([buffered, d]);
    pump();
  };
  const onClose = (): void => waiting?.reject(new Error('closed'));
  socket.on('data', onData);
  socket.on('close', onClose);
  return {
    read: (n) =>
      new Promise<Buffer>((resolve, reject) => {
        waiting = { n, resolve, reject };
        pump();
      }),
    detach: () => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      return buffered;
    },
  };
}

export async function startSocksProxy(opts: SocksProxyOptions = {}): Promise<SocksProxy> {
  const requests: SocksRequest[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  const handle = async (client: Socket): Promise<void> => {
    const r = reader(client);
    const read = r.read;
    const [ver, nMethods] = await read(2);
    if (ver !== 0x05) return void client.destroy();
    const methods = await read(nMethods ?? 0);
    if (!methods.includes(0x00)) {
      client.end(Buffer.from([0x05, 0xff]));
      return;
    }
    client.write(Buffer.from([0x05, 0x00]));
    const [, cmd, , atyp] = await read(4);
    let host: string;
    let addressType: SocksRequest['addressType'];
    if (atyp === 0x01) {
      host = [...(await read(4))].join('.');
      addressType = 'ipv4';
    } else if (atyp === 0x03) {
      const [len] = await read(1);
      host = (await read(len ?? 0)).toString('latin1');
      addressType = 'domain';
    } else if (atyp === 0x04) {
      const b = await read(16);
      const words: string[] = [];
      for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
      host = words.join(':');
      addressType = 'ipv6';
    } else {
      reply(client, REPLY.badAddress);
      client.end();
      return;
    }
    const port = (await read(2)).readUInt16BE(0);
    requests.push({ host, port, addressType, at: Date.now() });
    if (cmd !== 0x01) {
      reply(client, REPLY.badCommand);
      client.end();
      return;
    }
    const dest = opts.route ? opts.route(host, port) : { host, port };
    const upstream = net.connect({ host: dest.host, port: dest.port });
    track(upstream);
    upstream.once('error', () => {
      if (!client.destroyed) {
        reply(client, REPLY.refused);
        client.end();
      }
    });
    upstream.once('connect', () => {
      const early = r.detach();
      reply(client, REPLY.ok);
      if (early.length > 0) upstream.write(early);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  };

  const server = net.createServer((client) => {
    track(client);
    handle(client).catch(() => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `socks5h://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (for dead-proxy tests). */
export async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
