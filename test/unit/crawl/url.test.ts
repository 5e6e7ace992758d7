import { describe, expect, it } from 'vitest';
import { normaliseUrl, repeatedSegmentCount, urlPatternKey } from '../../../src/crawl/url.ts';

describe('normaliseUrl', () => {
  it.each([
    ['HTTP://Shop.EXAMPLE.com/a', 'http://shop.example.com/a'],
    ['http://shop.example.com:80/a', 'http://shop.example.com/a'],
    ['https://shop.example.com:443/a', 'https://shop.example.com/a'],
    ['https://shop.example.com:8443/a', 'https://shop.example.com:8443/a'],
    ['http://shop.example.com', 'http://shop.example.com/'],
    ['http://shop.example.com/a#frag', 'http://shop.example.com/a'],
    ['http://shop.example.com/a/./b/../c', 'http://shop.example.com/a/c'],
    ['http://shop.example.com/a/%2e%2e/c', 'http://shop.example.com/c'],
    ['http://shop.example.com/%7euser/%41%2f%3a', 'http://shop.example.com/~user/A%2F%3A'],
    ['http://shop.example.com/p?b=2&a=1&c=3', 'http://shop.example.com/p?a=1&b=2&c=3'],
    ['http://shop.example.com/p?b=2&a=1&a=0', 'http://shop.example.com/p?a=1&a=0&b=2'],
    ['http://shop.example.com/p?', 'http://shop.example.com/p'],
    ['http://shop.example.com/p?&&', 'http://shop.example.com/p'],
    ['http://shop.example.com/p?q=%e2%82%ac', 'http://shop.example.com/p?q=%E2%82%AC'],
    ['http://user:pw@shop.example.com/a', 'http://shop.example.com/a'],
    ['http://shop.example.com./a', 'http://shop.example.com/a'],
    ['http://магазин.рф/товар', 'http://xn--80aairftm.xn--p1ai/%D1%82%D0%BE%D0%B2%D0%B0%D1%80'],
    ['http://[::1]:8080/x', 'http://[::1]:8080/x'],
    ['http://МАГАЗИН.рф/', 'http://xn--80aairftm.xn--p1ai/'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseUrl(input)).toBe(expected);
  });

  it('strips session and tracking parameters, case-insensitively', () => {
    const u =
      'http://shop.example.com/item?id=5&PHPSESSID=abc&utm_source=x&UTM_Medium=y&sid=1&JSESSIONID=2&sessionid=3&fbclid=4&gclid=5';
    expect(normaliseUrl(u)).toBe('http://shop.example.com/item?id=5');
  });

  it('strips configured parameters, with prefix wildcards', () => {
    const u = 'http://shop.example.com/item?id=5&Ref=abc&trk_a=1&trk_b=2&keep=1';
    expect(normaliseUrl(u, undefined, { stripParams: ['ref', 'trk_*'] })).toBe(
      'http://shop.example.com/item?id=5&keep=1',
    );
  });

  it('drops the query when only stripped parameters were in it', () => {
    expect(normaliseUrl('http://shop.example.com/?utm_campaign=a&sid=b')).toBe('http://shop.example.com/');
  });

  it('removes ;jsessionid path parameters', () => {
    expect(normaliseUrl('http://shop.example.com/cart;jsessionid=0A1B2C?x=1')).toBe(
      'http://shop.example.com/cart?x=1',
    );
    expect(normaliseUrl('http://shop.example.com/a;JSESSIONID=zz/b')).toBe('http://shop.example.com/a/b');
  });

  it('resolves relative links against a base', () => {
    expect(normaliseUrl('../c?b=1&a=2#x', 'http://shop.example.com/a/b/page')).toBe(
      'http://shop.example.com/a/c?a=2&b=1',
    );
    expect(normaliseUrl('//cdn.example.com/x', 'https://shop.example.com/')).toBe(
      'https://cdn.example.com/x',
    );
  });

  it.each([
    'mailto:a@b.c',
    'javascript:alert(1)',
    'data:text/html,hi',
    'ftp://shop.example.com/',
    'not a url',
    '',
    'http://',
    'tel:+77001234567',
  ])('returns null for %s', (input) => {
    expect(normaliseUrl(input)).toBeNull();
  });

  it('gives the same key for equivalent spellings', () => {
    const a = normaliseUrl('HTTP://Shop.Example.com:80/a/../b/?z=1&a=%7e&utm_source=x#top');
    const b = normaliseUrl('http://shop.example.com/b/?a=~&z=1');
    expect(a).toBe(b);
  });
});

describe('urlPatternKey', () => {
  it.each([
    ['https://shop.example/cal/2024/05/01?page=7&view=day', 'shop.example/cal/{n}/{n}/{n}?page={v}&view={v}'],
    ['https://shop.example/item/123', 'shop.example/item/{n}'],
    ['https://shop.example/item/page-12.html', 'shop.example/item/page-{n}.html'],
    ['https://shop.example/u/550e8400-e29b-41d4-a716-446655440000', 'shop.example/u/{id}'],
    ['https://shop.example/h/9f86d081884c7d65', 'shop.example/h/{id}'],
    ['https://shop.example/t/aZ3kP9qL2mN8xW4v', 'shop.example/t/{id}'],
    ['https://shop.example/catalog', 'shop.example/catalog'],
    ['https://shop.example/s?Q=a&q=b', 'shop.example/s?q={v}'],
  ])('%s → %s', (input, expected) => {
    expect(urlPatternKey(input)).toBe(expected);
  });

  it('groups endless pagination into one key', () => {
    const keys = new Set([1, 2, 3, 999].map((n) => urlPatternKey(`https://shop.example/list?page=${n}`)));
    expect(keys.size).toBe(1);
  });

  it('keeps a non-URL as is', () => {
    expect(urlPatternKey('nope')).toBe('nope');
  });
});

describe('repeatedSegmentCount', () => {
  it.each([
    ['https://shop.example/', 0],
    ['https://shop.example/a/b/c', 1],
    ['https://shop.example/a/b/a/b/a/', 3],
    ['https://shop.example/x/%61/a', 2],
    ['nope', 0],
  ])('%s → %d', (input, expected) => {
    expect(repeatedSegmentCount(input)).toBe(expected);
  });
});
