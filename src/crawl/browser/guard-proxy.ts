/**
 * The browser's SSRF guard: a SOCKS5 proxy on 127.0.0.1 that Chromium uses for sites without a
 * proxy of their own when private addresses are not allowed. Every connection the browser opens
 * (documents, every redirect hop, subresources, workers, WebSockets, preconnects) names its target
 * here; the guard resolves the name itself and connects to the address it checked, so neither a
 * redirect nor DNS rebinding can reach loopback, private or link-local addresses.
 */
import net from 'node:net';
import { NonRetryableError } from '../../errors.ts';
import { log } from '../../log.ts';
import { classifyAddress, createLookup, ipLiteral } from '../http/ssrf.ts';

const guardLog = log.child({ component: 'browser-guard' });

/** SOCKS5 reply codes. */
const REP = { ok: 0, failure: 1, notAllowed: 2, hostUnreachable: 4, refused: 5, cmdUnsupported: 7 } as const;

/** How long a refusal is remembered to explain a failed navigation. */
const REFUSAL_TTL_MS = 60_000;

export class GuardProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #refused = new Map<string, { at: number; message: string }>();
  readonly #lookup = createLookup(false);
  #port = 0;
  /** Connections refused because their target was not public. */
  refusals = 0;

  readonly #refuseAll: boolean;

  /** `refuseAll`: refuse every connection (for contexts that must not reach the network at all). */
  constructor(refuseAll = false) {
    this.#refuseAll = refuseAll;
    this.#server = net.createServer((socket) => this.#handle(socket));
  }

  /** `socks5://127.0.0.1:PORT` once listening. */
  get url(): string {
    return `socks5://127.0.0.1:${this.#port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = this.#server.address();
    this.#port = typeof addr === 'object' && addr ? addr.port : 0;
  }

  /** Why `host:port` was refused in the last minute, if it was. */
  refusal(host: string, port: number): string | undefined {
    const hit = this.#refused.get(`${host.toLowerCase()}:${port}`);
    return hit && Date.now() - hit.at < REFUSAL_TTL_MS ? hit.message : undefined;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(client: net.Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => client.destroy());
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'request' | 'done' = 'greeting';
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'greeting') {
        if (buf.length < 2) return;
        const n = buf[1] ?? 0;
        if (buf[0] !== 5) return void client.destroy();
        if (buf.length < 2 + n) return;
        const methods = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        if (!methods.includes(0)) {
          client.end(Buffer.from([5, 0xff]));
          return;
        }
        client.write(Buffer.from([5, 0]));
        stage = 'request';
      }
      if (stage === 'request') {
        const req = parseRequest(buf);
        if (req === 'incomplete') return;
        stage = 'done';
        client.off('data', onData);
        if (req === 'invalid') return void client.end(reply(REP.failure));
        if (req.cmd !== 1) return void client.end(reply(REP.cmdUnsupported));
        this.#connect(client, req.host, req.port, buf.subarray(req.length));
      }
    };
    client.on('data', onData);
  }

  #refuse(client: net.Socket, host: string, port: number, message: string): void {
    this.refusals++;
    this.#refused.set(`${host.toLowerCase()}:${port}`, { at: Date.now(), message });
    if (this.#refused.size > 1000) {
      const oldest = this.#refused.keys().next().value;
      if (oldest !== undefined) this.#refused.delete(oldest);
    }
    guardLog.debug({ host, port }, message);
    client.end(reply(REP.notAllowed));
  }

  #connect(client: net.Socket, host: string, port: number, rest: Buffer): void {
    if (this.#refuseAll) {
      this.#refuse(client, host, port, 'this context may not connect anywhere');
      return;
    }
    const literal = ipLiteral(host);
    const cls = literal ? classifyAddress(literal) : 'public';
    if (cls !== 'public') {
      this.#refuse(client, host, port, `refused ${cls} address ${literal}`);
      return;
    }
    if (!literal && /(^|\.)localhost\.?$/i.test(host)) {
      this.#refuse(client, host, port, `refused ${host}`);
      return;
    }
    const upstream = net.connect({ host: literal ?? host, port, lookup: this.#lookup });
    this.#sockets.add(upstream);
    upstream.on('close', () => this.#sockets.delete(upstream));
    upstream.once('connect', () => {
      client.write(reply(REP.ok));
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.once('error', (err) => {
      upstream.destroy();
      if (err instanceof NonRetryableError && err.reason === 'private-network') {
        this.#refuse(client, host, port, err.message);
      } else if (!client.destroyed) {
        const code = (err as NodeJS.ErrnoException).code;
        client.end(reply(code === 'ECONNREFUSED' ? REP.refused : REP.hostUnreachable));
      }
    });
    client.once('close', () => upstream.destroy());
  }
}

type SocksRequest = { cmd: number; host: string; port: number; length: number };

function parseRequest(buf: Buffer): SocksRequest | 'incomplete' | 'invalid' {
  if (buf.length < 5) return 'incomplete';
  if (buf[0] !== 5) return 'invalid';
  const cmd = buf[1] ?? 0;
  const atyp = buf[3];
  let host: string;
  let at: number;
  if (atyp === 1) {
    if (buf.length < 10) return 'incomplete';
    host = [...buf.subarray(4, 8)].join('.');
    at = 8;
  } else if (atyp === 3) {
    const len = buf[4] ?? 0;
    if (buf.length < 5 + len + 2) return 'incomplete';
    host = buf.subarray(5, 5 + len).toString('latin1');
    at = 5 + len;
  } else if (atyp === 4) {
    if (buf.length < 22) return 'incomplete';
    const words: string[] = [];
    for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(4 + i * 2).toString(16));
    host = words.join(':');
    at = 20;
  } else {
    return 'invalid';
  }
  return { cmd, host, port: buf.readUInt16BE(at), length: at + 2 };
}

function reply(code: number): Buffer {
  return Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}
