/**
 * The evidence writer thread of `EvidenceStore` (object-store.ts). Plain JavaScript: it runs without
 * the TypeScript loader, whether Spiderweb runs from src/ or from its bundle.
 *
 * It takes batches of requests and answers each batch with one batch of replies:
 * - `{ id, op: 'put', root, parts, level }` → `{ id, sha256, size, written }`: the object is the parts
 *   concatenated, each first compressed as its own gzip member when `level` is a number.
 * - `{ id, op: 'locate', root, sha256 }` → `{ id, location }`: where the object's bytes are
 *   (`{ path, offset, size }`), or null.
 * - any failure → `{ id, error }` (the file system error's message, code, errno, syscall and path).
 *
 * Objects are appended to this thread's pack, `packs/<time>-<pid>-<random>.pack`, and listed in the
 * pack's index, `<same name>.idx`: one line `<sha256> <offset> <size>` per object. A file per object
 * cost a file creation each, about 0.6 ms of system time on the ext4 disks this runs on, 2.7 objects a
 * page: more than a quarter of a crawl's CPU. Web archives are written the same way (rolling WARC
 * files and an index), and git keeps its objects so. Each batch:
 *
 * 1. Each put's SHA-256 is looked up in the index of durable objects (and among the loose files of
 *    stores written before packs, `objects/sha256/<2>/<64>`); one found is not written again
 *    (`written: false`; its bytes are read back and compared, so a 64-bit prefix match is never taken
 *    for the object, nor an altered copy). Puts of the same bytes in one batch are one.
 * 2. The new objects are appended to the pack, the pack is flushed (fsync), then their index lines are
 *    appended and flushed: an index line never names bytes that are not on disk, and a crash leaves at
 *    worst bytes no line names, or a torn last line, which readers skip.
 * 3. Only then does the batch answer, and the objects join the index. Batches run one after the other,
 *    so a put answered `written: false` names an object already durable.
 *
 * Packs and indexes are created exclusively (`wx`) with mode 0444: the descriptor that created them may
 * still append, nobody else may write. A pack past the put's `packBytes` (1 GiB) after a batch is closed
 * and a new one started. Other processes' objects are found by reading the new ends of every index: at
 * once when a locate misses, at most once a second when a put does (two processes may each store the
 * same bytes within that second; both copies are the same object).
 *
 * The short file calls are synchronous (this thread exists to block on them, and a call through the
 * thread pool costs more CPU than the call itself); fsync, the slow one, goes to the pool.
 */
'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const { join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { runInNewContext } = require('node:vm');
const { gzipSync } = require('node:zlib');

/** How often a put that finds nothing reads other processes' new index lines. */
const REFRESH_MS = 1000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The buffers a batch leaves behind (the parts moved here, their gzip members, the objects) live
 * outside V8's heap, and this thread allocates too few objects of its own for V8 to collect them
 * soon: at the peak RSS of a 5,000-listing crawl they held 18 MB of this thread's malloc arena. So
 * the thread collects its young garbage (a scavenge: they die young) once COLLECT_BYTES of buffers
 * have passed through it since the last time. The arena then held 5–6 MB, the process peaked at
 * about 227 MB instead of 246, and the thread's CPU did not measurably change (a full collection
 * instead cost it a third more). `gc` is V8's, exposed to one new context only (workers may not be
 * given `--expose-gc`: the flag is set and cleared around it). Null if V8 refuses: V8 then collects
 * when it would have.
 */
const COLLECT_BYTES = 1024 * 1024;
const collectGarbage = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc');
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
})();
/** Bytes of buffers handled since the last collection. */
let uncollected = 0;

/**
 * Where each durable object of a store is, by the first 64 bits of its SHA-256: open addressing over
 * typed arrays (24 bytes a slot, a quarter of them free at least), not a Map of 64-character strings,
 * which took five times the memory: a crawl of 50,000 pages stores some 140,000 objects.
 */
class ObjectIndex {
  constructor() {
    this.size = 0;
    this.alloc(1024);
  }

  alloc(capacity) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    /** Pack number + 1 (0: a free slot). */
    this.pack = new Uint32Array(capacity);
    this.offset = new Float64Array(capacity);
    /** Sizes: an object is a page's capture, far below 4 GiB. */
    this.bytes = new Uint32Array(capacity);
  }

  /** The slot of `sha256`'s prefix: where it is, or the free slot where it would go. */
  slot(hi, lo) {
    const mask = this.hi.length - 1;
    let i = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b) >>> 0;
    for (i &= mask; this.pack[i] !== 0; i = (i + 1) & mask) {
      if (this.hi[i] === hi && this.lo[i] === lo) return i;
    }
    return i;
  }

  /** `{ pack, offset, size }` of the object whose SHA-256 starts as `sha256`'s, or null. */
  get(sha256) {
    const i = this.slot(hiOf(sha256), loOf(sha256));
    return this.pack[i] === 0
      ? null
      : { pack: this.pack[i] - 1, offset: this.offset[i], size: this.bytes[i] };
  }

  /** Records where an object is (a later place of the same prefix replaces an earlier: a copy of the same bytes, or a good copy of an altered one). */
  add(sha256, pack, offset, size) {
    if (4 * (this.size + 1) > 3 * this.hi.length) this.grow();
    const hi = hiOf(sha256);
    const lo = loOf(sha256);
    const i = this.slot(hi, lo);
    if (this.pack[i] === 0) this.size++;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.pack[i] = pack + 1;
    this.offset[i] = offset;
    this.bytes[i] = size;
  }

  grow() {
    const { hi, lo, pack, offset, bytes } = this;
    this.alloc(2 * hi.length);
    for (let k = 0; k < hi.length; k++) {
      if (pack[k] === 0) continue;
      const i = this.slot(hi[k], lo[k]);
      this.hi[i] = hi[k];
      this.lo[i] = lo[k];
      this.pack[i] = pack[k];
      this.offset[i] = offset[k];
      this.bytes[i] = bytes[k];
    }
  }
}

/** The first and the second 32 bits of a SHA-256 in hex: the index's key. */
function hiOf(sha256) {
  return Number.parseInt(sha256.slice(0, 8), 16);
}

function loOf(sha256) {
  return Number.parseInt(sha256.slice(8, 16), 16);
}

/** One store's packs as this thread knows them. */
class Store {
  constructor(root) {
    this.root = root;
    this.packsDir = join(root, 'packs');
    this.looseDir = join(root, 'objects', 'sha256');
    this.index = new ObjectIndex();
    /** Pack file names by number (the index's `pack`). */
    this.packs = [];
    /** The number of each pack, by file name. */
    this.numbers = new Map();
    /** Bytes of each index file read so far (up to its last whole line), by pack name. */
    this.read = new Map();
    /** This thread's pack: `{ no, name, fd, idxFd, ino, size, idxSize, lines }`, or null until the first put. */
    this.current = null;
    this.hasLoose = false;
    this.refreshedAt = 0;
  }

  /** The number of pack `name` (the index's `pack`), given it now if it has none. */
  numberOf(name) {
    let no = this.numbers.get(name);
    if (no === undefined) {
      no = this.packs.length;
      this.packs.push(name);
      this.numbers.set(name, no);
    }
    return no;
  }

  /** Reads the lines added to every index since the last call (all of them the first time). */
  refresh() {
    this.refreshedAt = Date.now();
    this.hasLoose = fs.existsSync(this.looseDir);
    let names;
    try {
      names = fs.readdirSync(this.packsDir);
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    for (const file of names) {
      if (!file.endsWith('.idx')) continue;
      const name = file.slice(0, -4);
      if (this.current && name === this.current.name) continue;
      const from = this.read.get(name) ?? 0;
      const lines = readFrom(join(this.packsDir, file), from);
      if (lines === null) continue;
      const no = this.numberOf(name);
      this.read.set(name, from + lines.bytes);
      for (const line of lines.text.split('\n')) {
        const [sha256, offset, size] = line.split(' ');
        if (SHA256_HEX.test(sha256 ?? '') && /^\d+$/.test(offset ?? '') && /^\d+$/.test(size ?? ''))
          this.index.add(sha256, no, Number(offset), Number(size));
      }
    }
  }

  /** Where object `sha256` is, `{ path, offset, size }`, or null; reads the indexes again when `fresh`. */
  locate(sha256, fresh) {
    let at = this.index.get(sha256);
    if (at === null && fresh) {
      this.refresh();
      at = this.index.get(sha256);
    }
    if (at !== null)
      return { path: join(this.packsDir, `${this.packs[at.pack]}.pack`), offset: at.offset, size: at.size };
    if (!this.hasLoose) return null;
    const loose = join(this.looseDir, sha256.slice(0, 2), sha256);
    try {
      return { path: loose, offset: 0, size: fs.statSync(loose).size };
    } catch {
      return null;
    }
  }

  /** This thread's pack, started on the first put (and again after `retire`). */
  pack() {
    if (this.current) return this.current;
    fs.mkdirSync(this.packsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const name = `${stamp}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fd = fs.openSync(join(this.packsDir, `${name}.pack`), 'wx', 0o444);
    let idxFd;
    try {
      idxFd = fs.openSync(join(this.packsDir, `${name}.idx`), 'wx', 0o444);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    // The mode exact whatever the umask.
    fs.fchmodSync(fd, 0o444);
    fs.fchmodSync(idxFd, 0o444);
    const no = this.numberOf(name);
    const { ino } = fs.fstatSync(fd);
    this.current = { no, name, fd, idxFd, ino, size: 0, idxSize: 0, lines: [] };
    return this.current;
  }

  /** Closes this thread's pack (its batch is flushed); the next put starts another. */
  retire() {
    const c = this.current;
    if (!c) return;
    this.current = null;
    this.read.set(c.name, c.idxSize);
    for (const fd of [c.fd, c.idxFd]) {
      try {
        fs.closeSync(fd);
      } catch {}
    }
  }
}

/** The whole lines of `path` from byte `from`: `{ text, bytes }`, or null if there are none (or no file). */
function readFrom(path, from) {
  let fd;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= from) return null;
    const buf = Buffer.alloc(size - from);
    const done = readAt(fd, buf, from);
    const end = buf.lastIndexOf(0x0a, done - 1) + 1;
    return end === 0 ? null : { text: buf.toString('latin1', 0, end - 1), bytes: end };
  } finally {
    fs.closeSync(fd);
  }
}

/** Fills `buf` from `fd` at `position`, as far as the file goes; the bytes read. */
function readAt(fd, buf, position) {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Writes all of `buf` to `fd` at `position`. */
function writeAt(fd, buf, position) {
  for (let done = 0; done < buf.length; )
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

function fsync(fd) {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

const stores = new Map();

/**
 * The store at `root`, its indexes read; read again from scratch if its pack was removed or replaced
 * under it (checked once a batch: `checked` holds the roots seen).
 */
function storeAt(root, checked) {
  let s = stores.get(root);
  if (s && !checked.has(root)) {
    checked.add(root);
    const on =
      s.current && fs.statSync(join(s.packsDir, `${s.current.name}.pack`), { throwIfNoEntry: false });
    if (s.current && on?.ino !== s.current.ino) {
      s.retire();
      s = undefined;
    }
  }
  if (!s) {
    s = new Store(root);
    s.refresh();
    stores.set(root, s);
  }
  return s;
}

/**
 * Whether the bytes at `at` are `data` (a prefix match in the index is confirmed so). A pack removed
 * by hand holds nothing: the object is then written again, and the index names the new copy.
 */
function holds(at, data) {
  if (at.size !== data.length) return false;
  let fd;
  try {
    fd = fs.openSync(at.path, 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
  try {
    const buf = Buffer.alloc(data.length);
    return readAt(fd, buf, at.offset) === buf.length && buf.equals(data);
  } finally {
    fs.closeSync(fd);
  }
}

function failure(id, err) {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    id,
    error: { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path },
  };
}

/** Runs one batch; resolves to its replies once every object it wrote is durable. */
async function run(batch) {
  const replies = new Array(batch.length);
  const checked = new Set();
  /** Objects appended in this batch, by store and SHA-256, with the puts that asked for them. */
  const appended = new Map();
  for (const [k, r] of batch.entries()) {
    if (r.op !== 'put') continue;
    try {
      const s = storeAt(r.root, checked);
      const data =
        r.level === null
          ? Buffer.from(r.parts[0].buffer, r.parts[0].byteOffset, r.parts[0].byteLength)
          : Buffer.concat(r.parts.map((p) => gzipSync(p, { level: r.level })));
      for (const p of r.parts) uncollected += p.byteLength;
      if (r.level !== null) uncollected += data.length;
      const sha256 = createHash('sha256').update(data).digest('hex');
      const key = `${r.root}\0${sha256}`;
      const same = appended.get(key);
      if (same) {
        same.puts.push(k);
        replies[k] = { id: r.id, sha256, size: data.length, written: false };
        continue;
      }
      const found = s.locate(sha256, Date.now() - s.refreshedAt >= REFRESH_MS);
      if (found && holds(found, data)) {
        replies[k] = { id: r.id, sha256, size: data.length, written: false };
        continue;
      }
      const pack = s.pack();
      writeAt(pack.fd, data, pack.size);
      appended.set(key, { store: s, pack, sha256, offset: pack.size, size: data.length, puts: [k] });
      pack.lines.push(`${sha256} ${pack.size} ${data.length}\n`);
      pack.size += data.length;
      replies[k] = { id: r.id, sha256, size: data.length, written: true };
    } catch (err) {
      replies[k] = failure(r.id, err);
    }
  }
  // Each pack written to is flushed, then its index lines are written and flushed.
  const packs = new Set([...appended.values()].map((a) => a.pack));
  const failed = new Map();
  await Promise.all(
    [...packs].map(async (pack) => {
      try {
        await fsync(pack.fd);
        const lines = Buffer.from(pack.lines.join(''), 'latin1');
        writeAt(pack.idxFd, lines, pack.idxSize);
        await fsync(pack.idxFd);
        pack.idxSize += lines.length;
      } catch (err) {
        failed.set(pack, err);
      } finally {
        pack.lines = [];
      }
    }),
  );
  for (const a of appended.values()) {
    const err = failed.get(a.pack);
    if (err) for (const k of a.puts) replies[k] = failure(batch[k].id, err);
    else a.store.index.add(a.sha256, a.pack.no, a.offset, a.size);
  }
  // A pack that failed, or is full, takes no more objects: the next put starts another.
  for (const a of appended.values()) {
    const s = a.store;
    if (s.current === a.pack && (failed.has(a.pack) || a.pack.size >= batch[a.puts[0]].packBytes)) s.retire();
  }
  for (const [k, r] of batch.entries()) {
    if (r.op !== 'locate') continue;
    try {
      replies[k] = { id: r.id, location: storeAt(r.root, checked).locate(r.sha256, true) };
    } catch (err) {
      replies[k] = failure(r.id, err);
    }
  }
  return replies;
}

// Batches one after the other (see step 3).
let queue = Promise.resolve();
parentPort.on('message', (batch) => {
  queue = queue.then(() =>
    run(batch).then((replies) => {
      parentPort.postMessage(replies);
      if (collectGarbage && uncollected >= COLLECT_BYTES) {
        collectGarbage({ type: 'minor' });
        uncollected = 0;
      }
    }),
  );
});
