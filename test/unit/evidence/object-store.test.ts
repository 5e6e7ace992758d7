import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchedPage } from './fixtures.ts';
import {
  EvidenceStore,
  pageWarc,
  readWarc,
  sha256Hex,
  storePageCapture,
} from '../../../src/evidence/index.ts';
import { repoRoot } from '../../helpers/runtime.ts';

describe('evidence object store', () => {
  let dir: string;
  let store: EvidenceStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spiderweb-objects-'));
    store = new EvidenceStore(join(dir, 'evidence'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores bytes once under their SHA-256, read-only, leaving nothing in tmp/', async () => {
    const data = Buffer.from('evidence bytes\n');
    const first = await store.put(data);
    expect(first).toEqual({ sha256: sha256Hex(data), size: data.length, written: true });
    const path = store.pathOf(first.sha256);
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o444);
    expect(await store.has(first.sha256)).toBe(true);
    expect((await store.get(first.sha256)).equals(data)).toBe(true);
    expect(await store.put(Buffer.from(data))).toEqual({ ...first, written: false });
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
  });

  it('leaves the caller its buffer, whatever buffer it is a view of', async () => {
    const big = randomBytes(64 * 1024);
    const view = big.subarray(1000, 5000);
    const copy = Buffer.from(view);
    const stored = await store.put(view);
    expect(view.length).toBe(4000);
    expect(view.equals(copy)).toBe(true);
    expect(big.length).toBe(64 * 1024);
    expect(stored).toMatchObject({ sha256: sha256Hex(copy), size: 4000 });
    expect(readFileSync(store.pathOf(stored.sha256)).equals(copy)).toBe(true);
    const empty = await store.put(Buffer.alloc(0));
    expect(empty).toMatchObject({ sha256: sha256Hex(''), size: 0, written: true });
  });

  it('writes the same bytes put many times at once exactly once', async () => {
    const data = randomBytes(10_000);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(Buffer.from(data))));
    expect(new Set(results.map((r) => r.sha256))).toEqual(new Set([sha256Hex(data)]));
    expect(results.filter((r) => r.written)).toHaveLength(1);
  });

  it('puts many different objects at once, and from several stores sharing a directory', async () => {
    const other = new EvidenceStore(store.root);
    const datas = Array.from({ length: 50 }, (_, i) => Buffer.from(`object ${i}`));
    const results = await Promise.all(datas.map((d, i) => (i % 2 ? store : other).put(d)));
    for (const [i, r] of results.entries()) {
      expect(r).toEqual({ sha256: sha256Hex(datas[i]!), size: datas[i]!.length, written: true });
      expect(readFileSync(store.pathOf(r.sha256)).equals(datas[i]!)).toBe(true);
    }
  });

  it('makes its directories again when they are removed under it', async () => {
    await store.put(Buffer.from('one'));
    rmSync(store.root, { recursive: true, force: true });
    const two = await store.put(Buffer.from('two'));
    expect(two.written).toBe(true);
    expect(readFileSync(store.pathOf(two.sha256), 'utf8')).toBe('two');
  });

  it('fails with the file system error (code and all) when it cannot write', async () => {
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the store should be');
    const err = await new EvidenceStore(blocked).put(Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toMatch(/^(ENOTDIR|EEXIST)$/);
    // The writer thread is still there for the next put.
    expect((await store.put(Buffer.from('after'))).written).toBe(true);
  });

  it('putGzipMembers stores each part as its own gzip member, as one object', async () => {
    const parts = [Buffer.from('first part\r\n'), randomBytes(20_000), Buffer.from('')];
    const stored = await store.putGzipMembers(parts, 3);
    const expected = Buffer.concat(parts.map((p) => gzipSync(p, { level: 3 })));
    expect(stored).toEqual({ sha256: sha256Hex(expected), size: expected.length, written: true });
    const bytes = readFileSync(store.pathOf(stored.sha256));
    expect(bytes.equals(expected)).toBe(true);
    expect(gunzipSync(bytes).equals(Buffer.concat(parts))).toBe(true);
    expect((await store.putGzipMembers(parts, 3)).written).toBe(false);
  });

  it("a page capture's WARC object is pageWarc's bytes; the same capture stores nothing new", async () => {
    const body = Buffer.from('<html><title>Товар</title><p>купить</p></html>', 'utf8');
    const page = fetchedPage({
      url: 'http://shop.test/item/1',
      finalUrl: 'http://shop.test/item/1',
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body,
      text: body.toString('utf8'),
      redirects: [],
    });
    const input = { page, requestHeaders: { 'user-agent': 'Spiderweb' }, proxy: null, text: 'Товар купить' };
    const stored = await storePageCapture(store, input);
    expect(stored.written).toBe(2);
    const warc = await store.get(stored.warc.sha256);
    const { spiderwebVersion } = await import('../../../src/evidence/manifest.ts');
    expect(warc.equals(pageWarc({ ...input, version: spiderwebVersion() }))).toBe(true);
    expect(stored.warc.size).toBe(warc.length);
    expect(readWarc(warc).map((r) => r.fields.find(([k]) => k === 'WARC-Type')?.[1])).toEqual([
      'warcinfo',
      'request',
      'response',
      'metadata',
    ]);
    expect((await store.get(stored.text.sha256)).toString('utf8')).toBe('Товар купить');
    expect(stored.facts.payloadSha256).toBe(sha256Hex(body));
    const again = await storePageCapture(store, { ...input, payloadSha256: sha256Hex(body) });
    expect(again.written).toBe(0);
    expect(again.warc).toEqual(stored.warc);
  });

  it('does not keep a process alive once its puts are done', async () => {
    const script = `
      const { register } = await import('tsx/esm/api');
      register();
      const { EvidenceStore } = await import('./src/evidence/index.ts');
      const r = await new EvidenceStore(process.env.DIR).put(Buffer.from('child'));
      console.log(r.written);`;
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { cwd: repoRoot, env: { ...process.env, DIR: join(dir, 'child') }, timeout: 30_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
    expect(out.trim()).toBe('true');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
