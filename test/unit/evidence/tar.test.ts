import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTar, TarError, writeTar } from '../../../src/evidence/index.ts';

const entries = [
  { name: 'manifest.json', data: Buffer.from('{"a":1}\n'), mtime: 1_700_000_000 },
  { name: 'empty.txt', data: Buffer.alloc(0), mtime: 1_700_000_000 },
  { name: 'block.bin', data: Buffer.alloc(512, 7), mtime: 1_700_000_000 },
  {
    name: 'odd.bin',
    data: Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256)),
    mtime: 1_700_000_000,
  },
];

describe('tar writer and reader', () => {
  it('round-trips names, bytes, times and modes', () => {
    const tar = writeTar(entries);
    expect(tar.length % 10240).toBe(0);
    const back = readTar(tar);
    expect(back.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    for (const [i, e] of back.entries()) {
      expect(e.data.equals(entries[i]!.data)).toBe(true);
      expect(e.mtime).toBe(1_700_000_000);
      expect(e.mode).toBe(0o444);
    }
  });

  it('is deterministic', () => {
    expect(writeTar(entries).equals(writeTar(entries))).toBe(true);
  });

  it('writes ustar that the system tar reads', () => {
    if (!existsSync('/usr/bin/tar')) return;
    const dir = mkdtempSync(join(tmpdir(), 'spw-tar-'));
    try {
      writeFileSync(join(dir, 'b.tar'), writeTar(entries));
      const list = execFileSync('/usr/bin/tar', ['-tf', join(dir, 'b.tar')], { encoding: 'utf8' });
      expect(list.trim().split('\n')).toEqual(entries.map((e) => e.name));
      execFileSync('/usr/bin/tar', ['-xf', join(dir, 'b.tar'), '-C', dir]);
      expect(readFileSync(join(dir, 'odd.bin')).equals(entries[3]!.data)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads what the system tar writes', () => {
    if (!existsSync('/usr/bin/tar')) return;
    const dir = mkdtempSync(join(tmpdir(), 'spw-tar-'));
    try {
      writeFileSync(join(dir, 'x.txt'), 'hello\n');
      execFileSync('/usr/bin/tar', ['--format=ustar', '-cf', join(dir, 'x.tar'), '-C', dir, 'x.txt']);
      const back = readTar(readFileSync(join(dir, 'x.tar')));
      expect(back.map((e) => [e.name, e.data.toString()])).toEqual([['x.txt', 'hello\n']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a header whose checksum does not match, naming where', () => {
    const tar = writeTar(entries);
    const at = 512 + 512 + 3; // second header (after manifest.json's header + one data block): its name
    tar[at] = (tar[at] ?? 0) ^ 0x01;
    expect(() => readTar(tar)).toThrow(TarError);
    try {
      readTar(tar);
    } catch (err) {
      expect((err as TarError).offset).toBe(1024);
      expect((err as TarError).message).toMatch(/checksum/);
    }
  });

  it('refuses a truncated archive and sizes past the end', () => {
    const tar = writeTar(entries);
    expect(() => readTar(tar.subarray(0, 2100))).toThrow(/archive ends first/);
    expect(() => readTar(tar.subarray(0, 1024))).toThrow(/truncated/);
  });

  it('refuses names it cannot write faithfully', () => {
    expect(() => writeTar([{ name: '../x', data: Buffer.alloc(1) }])).toThrow(/unsupported entry name/);
    expect(() => writeTar([{ name: 'a'.repeat(101), data: Buffer.alloc(1) }])).toThrow(/unsupported/);
    expect(() => writeTar([{ name: 'é.txt', data: Buffer.alloc(1) }])).toThrow(/unsupported/);
  });
});
