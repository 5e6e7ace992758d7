import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
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
import { packIndexLines } from '../../helpers/evidence-packs.ts';
import { repoRoot } from '../../helpers/runtime.ts';

/** The bytes the store says object `sha256` is, read straight from the file (not through `get`). */
async function bytesAt(store: EvidenceStore, sha256: string): Promise<Buffer> {
  const at = await store.locate(sha256);
  if (!at) throw new Error(`${sha256} not found`);
  return readFileSync(at.path).subarray(at.offset, at.offset + at.size);
}

/** What a put of `text` into the store at `root` returned in a child process of its own (it must exit). */
function putFromChild(root: string, text: string): Promise<{ sha256: string; written: boolean }> {
  const script = `
    const { register } = await import('tsx/esm/api');
    register();
    const { EvidenceStore } = await import('./src/evidence/index.ts');
    const r = await new EvidenceStore(process.env.DIR).put(Buffer.from(process.env.TEXT));
    console.log(JSON.stringify(r));`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: repoRoot, env: { ...process.env, DIR: root, TEXT: text }, timeout: 30_000 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))),
    );
  });
}

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

  it('stores bytes once under their SHA-256, appended to a read-only pack its index lists', async () => {
    const data = Buffer.from('evidence bytes\n');
    const first = await store.put(data);
    expect(first).toEqual({ sha256: sha256Hex(data), size: data.length, written: true });
    const at = await store.locate(first.sha256);
    expect(at).toMatchObject({ offset: 0, size: data.length });
    expect(at!.path).toMatch(/\/packs\/\d{8}T\d{6}Z-\d+-[0-9a-f]{8}\.pack$/);
    expect(readFileSync(at!.path).equals(data)).toBe(true);
    const idx = at!.path.replace(/\.pack$/, '.idx');
    expect(readFileSync(idx, 'utf8')).toBe(`${first.sha256} 0 ${data.length}\n`);
    expect(statSync(at!.path).mode & 0o777).toBe(0o444);
    expect(statSync(idx).mode & 0o777).toBe(0o444);
    expect(await store.has(first.sha256)).toBe(true);
    expect((await store.get(first.sha256)).equals(data)).toBe(true);
    expect(await store.put(Buffer.from(data))).toEqual({ ...first, written: false });
    // The next object follows in the same pack.
    const next = await store.put(Buffer.from('more'));
    expect(await store.locate(next.sha256)).toEqual({ path: at!.path, offset: data.length, size: 4 });
    expect(readdirSync(join(store.root, 'packs')).sort()).toEqual(
      [at!.path, idx].map((p) => p.slice(p.lastIndexOf('/') + 1)).sort(),
    );
    expect(await store.has(sha256Hex('never stored'))).toBe(false);
    await expect(store.get(sha256Hex('never stored'))).rejects.toThrow(/is missing/);
    await expect(store.has('not-a-sha')).rejects.toThrow(/not a SHA-256 object name/);
  });

  it('names an object whose bytes changed on disk as altered, and stores a good copy when put again', async () => {
    const data = Buffer.from('the original capture');
    const { sha256 } = await store.put(data);
    const at = (await store.locate(sha256))!;
    const bytes = readFileSync(at.path);
    bytes[at.offset]! ^= 0x20;
    // The pack is read-only: altering it takes a copy put in its place.
    rmSync(at.path, { force: true });
    writeFileSync(at.path, bytes);
    await expect(store.get(sha256)).rejects.toThrow(new RegExp(`${sha256} .* was altered on disk`));
    expect(await store.put(Buffer.from(data))).toMatchObject({ sha256, written: true });
    expect((await store.get(sha256)).equals(data)).toBe(true);
  });

  it('stores an object again when the older pack that held it was removed by hand', async () => {
    const small = new EvidenceStore(join(dir, 'small'), { packBytes: 10 });
    const data = Buffer.from('a capture in the first pack');
    const { sha256 } = await small.put(data);
    const first = (await small.locate(sha256))!;
    await small.put(Buffer.from('the next object starts a second pack'));
    rmSync(first.path);
    await expect(small.get(sha256)).rejects.toThrow(`evidence object ${sha256} is missing (${first.path})`);
    expect(await small.put(Buffer.from(data))).toMatchObject({ sha256, written: true });
    expect((await small.locate(sha256))!.path).not.toBe(first.path);
    expect((await small.get(sha256)).equals(data)).toBe(true);
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
    expect((await bytesAt(store, stored.sha256)).equals(copy)).toBe(true);
    const empty = await store.put(Buffer.alloc(0));
    expect(empty).toMatchObject({ sha256: sha256Hex(''), size: 0, written: true });
  });

  it('writes the same bytes put many times at once exactly once', async () => {
    const data = randomBytes(10_000);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(Buffer.from(data))));
    expect(new Set(results.map((r) => r.sha256))).toEqual(new Set([sha256Hex(data)]));
    expect(results.filter((r) => r.written)).toHaveLength(1);
    expect(packIndexLines(store.root)).toEqual([`${sha256Hex(data)} 0 10000`]);
  });

  it('puts many different objects at once, and from several stores sharing a directory', async () => {
    const other = new EvidenceStore(store.root);
    const datas = Array.from({ length: 50 }, (_, i) => Buffer.from(`object ${i}`));
    const results = await Promise.all(datas.map((d, i) => (i % 2 ? store : other).put(d)));
    for (const [i, r] of results.entries()) {
      expect(r).toEqual({ sha256: sha256Hex(datas[i]!), size: datas[i]!.length, written: true });
      expect((await bytesAt(store, r.sha256)).equals(datas[i]!)).toBe(true);
    }
  });

  it('collects the buffers it wrote without exposing gc to the rest of the process', async () => {
    const before = typeof (globalThis as { gc?: unknown }).gc;
    // Past the writer thread's collection threshold (1 MB) twice, in batches of several puts.
    const datas = Array.from({ length: 12 }, () => randomBytes(200_000));
    const results = await Promise.all(datas.map((d) => store.put(d)));
    const more = await store.putGzipMembers([randomBytes(300_000), randomBytes(300_000)], 1);
    for (const [i, r] of results.entries()) expect((await store.get(r.sha256)).equals(datas[i]!)).toBe(true);
    expect((await store.get(more.sha256)).length).toBe(more.size);
    expect(runInNewContext('typeof gc')).toBe('undefined');
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe(before);
  });

  it('makes its directories again when they are removed under it', async () => {
    await store.put(Buffer.from('one'));
    rmSync(store.root, { recursive: true, force: true });
    const two = await store.put(Buffer.from('two'));
    expect(two.written).toBe(true);
    expect((await bytesAt(store, two.sha256)).toString()).toBe('two');
    expect((await store.get(two.sha256)).toString()).toBe('two');
    expect(await store.has(sha256Hex('one'))).toBe(false);
  });

  it('starts a new pack once one is past its size', async () => {
    const small = new EvidenceStore(join(dir, 'small'), { packBytes: 10 });
    const a = await small.put(Buffer.from('0123456789ab'));
    const b = await small.put(Buffer.from('second'));
    const c = await small.put(Buffer.from('third'));
    const [pa, pb, pc] = await Promise.all([a, b, c].map((o) => small.locate(o.sha256)));
    expect(pb!.path).not.toBe(pa!.path);
    expect(pc).toEqual({ path: pb!.path, offset: 6, size: 5 });
    for (const o of [a, b, c]) expect(await small.has(o.sha256)).toBe(true);
    expect(packIndexLines(small.root)).toHaveLength(3);
  });

  it('reads the objects of stores written before packs, and skips what a crash left half-written', async () => {
    const old = Buffer.from('a loose object of an older store');
    const oldSha = sha256Hex(old);
    mkdirSync(join(dir, 'legacy', 'objects', 'sha256', oldSha.slice(0, 2)), { recursive: true });
    writeFileSync(join(dir, 'legacy', 'objects', 'sha256', oldSha.slice(0, 2), oldSha), old);
    // A pack whose writer died: one whole line, bytes no line names, a torn last line.
    const kept = Buffer.from('an object its index names');
    const keptSha = sha256Hex(kept);
    const lost = sha256Hex('never flushed');
    mkdirSync(join(dir, 'legacy', 'packs'));
    writeFileSync(join(dir, 'legacy', 'packs', 'dead.pack'), Buffer.concat([kept, Buffer.from('garbage')]));
    writeFileSync(
      join(dir, 'legacy', 'packs', 'dead.idx'),
      `${keptSha} 0 ${kept.length}\n${lost} ${kept.length} 7`,
    );
    const legacy = new EvidenceStore(join(dir, 'legacy'));
    expect((await legacy.get(oldSha)).equals(old)).toBe(true);
    expect((await legacy.get(keptSha)).equals(kept)).toBe(true);
    expect(await legacy.has(lost)).toBe(false);
    expect(await legacy.put(Buffer.from(old))).toMatchObject({ sha256: oldSha, written: false });
    expect(await legacy.put(Buffer.from(kept))).toMatchObject({ sha256: keptSha, written: false });
    const fresh = await legacy.put(Buffer.from('new'));
    expect(fresh.written).toBe(true);
    expect((await legacy.locate(fresh.sha256))!.path).not.toMatch(/dead\.pack$/);
    // The line finished later is read then.
    appendFileSync(join(dir, 'legacy', 'packs', 'dead.idx'), '\n');
    expect(await legacy.locate(lost)).toEqual({
      path: join(legacy.root, 'packs', 'dead.pack'),
      offset: kept.length,
      size: 7,
    });
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
    const bytes = await bytesAt(store, stored.sha256);
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
    const started = Date.now();
    const out = await putFromChild(join(dir, 'child'), 'child');
    expect(out.written).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a writer killed mid-put leaves every object its index names whole', async () => {
    const script = `
      const { register } = await import('tsx/esm/api');
      register();
      const { EvidenceStore } = await import('./src/evidence/index.ts');
      const store = new EvidenceStore(process.env.DIR);
      for (let i = 0; ; i++) {
        await Promise.all(Array.from({ length: 8 }, (_, k) => store.put(Buffer.from(\`object \${i}-\${k} \`.repeat(200)))));
        if (i === 5) console.log('writing');
      }`;
    const child = execFile(process.execPath, ['--input-type=module', '-e', script], {
      cwd: repoRoot,
      env: { ...process.env, DIR: store.root },
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', () => resolve());
      child.on('exit', (code) => reject(new Error(`the writer exited (${code}) before writing`)));
    });
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const lines = packIndexLines(store.root);
    expect(lines.length).toBeGreaterThan(40);
    for (const line of lines) {
      const [sha256, offset, size] = line.split(' ');
      expect(await store.locate(sha256!)).toMatchObject({ offset: Number(offset), size: Number(size) });
      expect(sha256Hex(await store.get(sha256!))).toBe(sha256);
    }
    // The store takes new objects after it.
    expect((await store.put(Buffer.from('after the crash'))).written).toBe(true);
  });

  it('finds the objects another process appended to the same store since it last looked', async () => {
    await store.put(Buffer.from('mine'));
    const { sha256 } = await putFromChild(store.root, 'written by another process');
    expect(sha256).toBe(sha256Hex('written by another process'));
    expect((await store.get(sha256)).toString()).toBe('written by another process');
    expect(readdirSync(join(store.root, 'packs')).filter((f) => f.endsWith('.pack'))).toHaveLength(2);
  });
});
