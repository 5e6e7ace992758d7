/**
 * The evidence writer thread of `EvidenceStore` (object-store.ts). Plain JavaScript: it runs without
 * the TypeScript loader, whether Spiderweb runs from src/ or from its bundle. It takes a batch of
 * requests `{ id, root, parts, level }` and, when all are done, answers one batch of
 * `{ id, sha256, size, written }` or `{ id, error }`. The object is the parts concatenated, each first
 * compressed as its own gzip member when `level` is a number. Each put:
 *
 * 1. SHA-256 of the bytes names the object; an existing object is not written again (`written:
 *    false`). One existence check is cheaper than writing, flushing and renaming a copy over it, and
 *    it is what tells the caller nothing was written. Puts of the same bytes in flight at once are one.
 * 2. `tmp/` and the object's directory are made once per thread (remembered; made again if someone
 *    removed them under us: the put is retried once on ENOENT).
 * 3. The temporary file is created exclusively (`wx`) with mode 0444: the descriptor that created it
 *    may still write. `fchmod` 0444 makes the mode exact whatever the umask. Then the bytes, fsync,
 *    close and the atomic rename into place.
 *
 * The short metadata calls are synchronous (this thread exists to block on them, and a call through
 * the thread pool costs more CPU than the call itself); fsync, the slow one, goes to the pool so
 * that puts in flight at once flush in parallel.
 */
'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const { join } = require('node:path');
const { gzipSync } = require('node:zlib');

const made = new Set();
const inFlight = new Map();

function dir(path) {
  if (made.has(path)) return;
  fs.mkdirSync(path, { recursive: true });
  made.add(path);
}

function fsync(fd) {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

async function write(root, sha256, data, retried) {
  const objects = join(root, 'objects', 'sha256', sha256.slice(0, 2));
  const target = join(objects, sha256);
  if (fs.existsSync(target)) return false;
  const tmpDir = join(root, 'tmp');
  const tmp = join(tmpDir, `${sha256.slice(0, 16)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    dir(tmpDir);
    dir(objects);
    const fd = fs.openSync(tmp, 'wx', 0o444);
    try {
      let done = 0;
      while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
      fs.fchmodSync(fd, 0o444);
      await fsync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {}
    if (err && err.code === 'ENOENT' && !retried) {
      made.delete(tmpDir);
      made.delete(objects);
      return write(root, sha256, data, true);
    }
    throw err;
  }
  return true;
}

async function put(root, parts, level) {
  const data =
    level === null
      ? Buffer.from(parts[0].buffer, parts[0].byteOffset, parts[0].byteLength)
      : Buffer.concat(parts.map((p) => gzipSync(p, { level })));
  const sha256 = createHash('sha256').update(data).digest('hex');
  const key = `${root}\0${sha256}`;
  const running = inFlight.get(key);
  if (running) {
    await running;
    return { sha256, size: data.length, written: false };
  }
  const p = write(root, sha256, data, false);
  inFlight.set(key, p);
  try {
    return { sha256, size: data.length, written: await p };
  } finally {
    inFlight.delete(key);
  }
}

function answer(id, root, parts, level) {
  return put(root, parts, level).then(
    (r) => ({ id, sha256: r.sha256, size: r.size, written: r.written }),
    (err) => {
      const e = err instanceof Error ? err : new Error(String(err));
      return {
        id,
        error: { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path },
      };
    },
  );
}

parentPort.on('message', (batch) => {
  Promise.all(batch.map((r) => answer(r.id, r.root, r.parts, r.level))).then((replies) =>
    parentPort.postMessage(replies),
  );
});
