import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { rng } from '../../../src/classify/model/train.ts';
import {
  decodeText,
  detectCharset,
  isValidUtf8,
  looksBinary,
  normaliseCharset,
  sniffLegacyCharset,
} from '../../../src/crawl/http/charset.ts';

const RU = 'Съешь же ещё этих мягких французских булок, да выпей чаю';
const page = (text: string, head = '') => `<html><head>${head}</head><body><p>${text}</p></body></html>`;

describe('normaliseCharset', () => {
  it.each([
    ['GB2312', 'gb18030'],
    ['gbk', 'gb18030'],
    ['"windows-1251"', 'windows-1251'],
    ['ISO-8859-1', 'windows-1252'],
    ['utf8', 'utf-8'],
    ['Shift-JIS', 'shift_jis'],
    ['KOI8-R', 'koi8-r'],
    ['big5', 'big5'],
    ['iso-8859-5', 'iso-8859-5'],
    ['utf-16', 'utf-16le'],
  ])('%s → %s', (label, name) => {
    expect(normaliseCharset(label)).toBe(name);
  });
  it('returns null for unknown labels', () => {
    expect(normaliseCharset('x-klingon')).toBeNull();
    expect(normaliseCharset('')).toBeNull();
  });
});

describe('detectCharset', () => {
  it('prefers a BOM over everything', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(page(RU))]);
    expect(detectCharset(body, 'text/html; charset=windows-1251')).toEqual({
      charset: 'utf-8',
      source: 'bom',
    });
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(page(RU), 'utf-16le')]);
    expect(detectCharset(le, undefined).charset).toBe('utf-16le');
    expect(decodeText(le, 'utf-16le')).toContain(RU);
  });

  it('uses the header charset, then meta', () => {
    const cp = iconv.encode(page(RU), 'win1251');
    expect(detectCharset(cp, 'text/html; charset=windows-1251')).toEqual({
      charset: 'windows-1251',
      source: 'header',
    });
    const meta = iconv.encode(page(RU, '<meta charset="koi8-r">'), 'koi8-r');
    expect(detectCharset(meta, 'text/html')).toEqual({ charset: 'koi8-r', source: 'meta' });
    const equiv = iconv.encode(
      page(RU, '<meta http-equiv="content-type" content="text/html; charset=windows-1251">'),
      'win1251',
    );
    expect(detectCharset(equiv, undefined)).toEqual({ charset: 'windows-1251', source: 'meta' });
  });

  it('corrects a declared UTF-8 body that is not UTF-8', () => {
    const cp = iconv.encode(page(RU), 'win1251');
    expect(detectCharset(cp, 'text/html; charset=utf-8')).toEqual({
      charset: 'windows-1251',
      source: 'sniff',
    });
  });

  it('corrects a declared legacy charset when the body is valid UTF-8', () => {
    const utf = Buffer.from(page(RU));
    expect(detectCharset(utf, 'text/html; charset=windows-1251')).toEqual({
      charset: 'utf-8',
      source: 'sniff',
    });
  });

  it('sniffs UTF-8, windows-1251, koi8-r and windows-1252 without declarations', () => {
    expect(detectCharset(Buffer.from(page(RU)), undefined).charset).toBe('utf-8');
    expect(detectCharset(iconv.encode(page(RU), 'win1251'), undefined).charset).toBe('windows-1251');
    expect(detectCharset(iconv.encode(page(RU), 'koi8-r'), undefined).charset).toBe('koi8-r');
    const fr = iconv.encode(page('Le café est très cher à Zürich, déjà'), 'windows-1252');
    expect(detectCharset(fr, undefined).charset).toBe('windows-1252');
    expect(sniffLegacyCharset(Buffer.from('plain ascii'))).toBe('windows-1252');
  });

  it('tolerates a UTF-8 character cut at the end (truncated body)', () => {
    const utf = Buffer.from(page(RU));
    const cut = utf.subarray(0, utf.indexOf(Buffer.from('ещё')) + 1);
    expect(detectCharset(cut, undefined).charset).toBe('utf-8');
  });
});

describe('decodeText', () => {
  it('decodes gb18030 and strips NUL characters', () => {
    expect(decodeText(iconv.encode('价格优惠', 'gbk'), 'gb18030')).toBe('价格优惠');
    expect(decodeText(Buffer.from('a\u0000b'), 'utf-8')).toBe('ab');
  });
});

describe('looksBinary', () => {
  it('spots binary signatures and control-byte soup', () => {
    expect(looksBinary(Buffer.from('%PDF-1.7 ...'), 'text/html')).toBe(true);
    expect(looksBinary(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), 'text/html')).toBe(true);
    expect(looksBinary(Buffer.alloc(512, 0x01), 'text/html')).toBe(true);
  });
  it('accepts text, including a few NULs and UTF-16', () => {
    expect(looksBinary(Buffer.from(page(RU)), 'text/html')).toBe(false);
    expect(looksBinary(Buffer.from('<html>ab\u0000cd</html>'), 'text/html')).toBe(false);
    expect(looksBinary(iconv.encode('<html>hello</html>', 'utf-16le'), 'text/html; charset=utf-16')).toBe(
      false,
    );
  });
});

describe('isValidUtf8', () => {
  it('judges as a fatal streaming TextDecoder does, on 30,000 generated bodies (cut and corrupted UTF-8, random bytes)', () => {
    const reference = (body: Buffer) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(body, { stream: true });
        return true;
      } catch {
        return false;
      }
    };
    const r = rng(5);
    const codePoint = () =>
      r() < 0.5
        ? Math.floor(r() * 0x800)
        : r() < 0.8
          ? 0xe000 + Math.floor(r() * 0x2000)
          : 0x10000 + Math.floor(r() * 0xfffff);
    const differ: string[] = [];
    let valid = 0;
    for (let i = 0; i < 30_000; i++) {
      let body: Buffer;
      if (r() < 0.5) {
        const text = Buffer.from(
          String.fromCodePoint(...Array.from({ length: 1 + Math.floor(r() * 8) }, codePoint)),
        );
        body = Buffer.from(text.subarray(0, Math.floor(r() * (text.length + 1))));
        if (r() < 0.3 && body.length) body[Math.floor(r() * body.length)] = Math.floor(r() * 256);
      } else
        body = Buffer.from(Array.from({ length: Math.floor(r() * 7) }, () => 0x80 + Math.floor(r() * 0x80)));
      if (reference(body)) valid++;
      if (isValidUtf8(body) !== reference(body)) differ.push(body.toString('hex'));
    }
    expect(differ.slice(0, 5)).toEqual([]);
    expect(valid).toBeGreaterThan(5_000);
    expect(valid).toBeLessThan(25_000);
  });
});
