import { describe, expect, it } from 'vitest';
import { parseProxy } from '../../../src/crawl/http/dispatchers.ts';
import { parseRetryAfter } from '../../../src/crawl/http/fetch-errors.ts';
import {
  classifyAddress,
  createLookup,
  isForbiddenAddress,
  isOnionHost,
} from '../../../src/crawl/http/ssrf.ts';
import { NonRetryableError } from '../../../src/errors.ts';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['[::ffff:192.168.0.1]', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2001:db8::1', 'reserved'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.1.1',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '2606:4700:4700::1111',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBe('public');
    expect(isForbiddenAddress(ip)).toBe(false);
  });

  it('treats non-addresses as invalid (refused)', () => {
    expect(classifyAddress('shop.example')).toBe('invalid');
    expect(classifyAddress('999.1.1.1')).toBe('invalid');
    expect(isForbiddenAddress('')).toBe(true);
  });
});

describe('createLookup', () => {
  const lookup = (allow: boolean, host: string, all: boolean) =>
    new Promise<unknown>((resolve, reject) => {
      createLookup(allow)(host, { all } as { all: true }, (err, address) =>
        err ? reject(err) : resolve(address),
      );
    });

  it('refuses a name that resolves to loopback', async () => {
    const err = await lookup(false, 'localhost', false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).reason).toBe('private-network');
  });

  it('allows it with allowPrivateNetwork, in both lookup forms', async () => {
    expect(typeof (await lookup(true, 'localhost', false))).toBe('string');
    expect(Array.isArray(await lookup(true, 'localhost', true))).toBe(true);
  });

  it('never resolves .onion names', async () => {
    const err = await lookup(true, 'abcdefghijklmnop.onion', false).catch((e: unknown) => e);
    expect((err as NonRetryableError).reason).toBe('proxy');
    expect(isOnionHost('x.ONION.')).toBe(true);
    expect(isOnionHost('onion.example')).toBe(false);
  });
});

describe('parseProxy', () => {
  it('parses the supported schemes', () => {
    expect(parseProxy('socks5h://127.0.0.1:9050')).toMatchObject({
      kind: 'socks',
      remoteDns: true,
      port: 9050,
    });
    expect(parseProxy('socks5://u:p%40ss@127.0.0.1')).toMatchObject({
      kind: 'socks',
      remoteDns: false,
      port: 1080,
      userId: 'u',
      password: 'p@ss',
    });
    expect(parseProxy('http://proxy.local:3128')).toMatchObject({ kind: 'http' });
  });

  it.each(['socks4://127.0.0.1:9050', 'nonsense', 'ftp://x'])('refuses %s', (p) => {
    expect(() => parseProxy(p)).toThrow(NonRetryableError);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds and HTTP dates, capped', () => {
    expect(parseRetryAfter('7', 3_600_000, now)).toBe(7000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:02:00 GMT', 3_600_000, now)).toBe(120_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', 3_600_000, now)).toBe(0);
    expect(parseRetryAfter('999999999', 3_600_000, now)).toBe(3_600_000);
  });
  it.each([undefined, '', '-5', 'soon', '1.5'])('ignores %s', (v) => {
    expect(parseRetryAfter(v, 3_600_000, now)).toBeNull();
  });
});
