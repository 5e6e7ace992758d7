import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { NonRetryableError } from '../errors.ts';
import { ROOT_URL } from '../paths.ts';
import { SHA256_HEX, sha256Hex } from './digest.ts';

export interface StoredObject {
  /** SHA-256 of the bytes, hex: also the object's name. */
  sha256: string;
  size: number;
  /** False when the object was already there (nothing written). */
  written: boolean;
}

/** The size past which a pack takes no more objects: the size web archives roll their WARC files at. */
const PACK_BYTES = 1024 ** 3;

/** Where an object's bytes are: a byte range of a pack (or the whole of a loose file). */
export interface ObjectLocation {
  path: string;
  offset: number;
  size: number;
}

/**
 * Content-addressed evidence under `root` (default `<dataDir>/evidence`): objects named by the SHA-256
 * of their bytes, appended to pack files, `packs/<time>-<pid>-<random>.pack`, each listed with its
 * offset and size in the pack's index, `<same name>.idx` (one line `<sha256> <offset> <size>`). A
 * process appends to packs of its own (a new one past 1 GiB), so any number of workers may share the
 * directory; packs and indexes are read-only (0444) to everyone but the writer that made them; a put
 * returns only once its bytes and their index line are flushed to disk. Identical content is stored
 * once. Objects of stores written before packs, `objects/sha256/<2>/<64>` files, are read as before.
 *
 * `put` does its hashing and file work on a writer thread (one per process, shared by every store):
 * the file-system round trips of a put each cost the main thread a wake-up, and the main thread is what
 * limits a fetch worker's pages per second. See `object-writer.cjs` for what a batch of puts does there.
 */
export class EvidenceStore {
  readonly root: string;
  /** A pack this size or more is closed after the batch that filled it (default 1 GiB; tests make it small). */
  private readonly packBytes: number;

  constructor(root: string, opts: { packBytes?: number } = {}) {
    this.root = resolve(root);
    this.packBytes = opts.packBytes ?? PACK_BYTES;
  }

  /** The store in `<dataDir>/evidence`. */
  static forDataDir(dataDir: string): EvidenceStore {
    return new EvidenceStore(join(dataDir, 'evidence'));
  }

  /** Where object `sha256` is, or null when the store has no such object. Throws on anything but 64 hex digits. */
  async locate(sha256: string): Promise<ObjectLocation | null> {
    if (!SHA256_HEX.test(sha256))
      throw new NonRetryableError('internal', `not a SHA-256 object name: ${sha256}`);
    return writer.locate(this.root, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.locate(sha256)) !== null;
  }

  /** Stores `data` unless an object with its hash exists. `data` is copied: the caller keeps it. */
  async put(data: Buffer): Promise<StoredObject> {
    return writer.put(this.root, [data], null, this.packBytes);
  }

  /**
   * Stores `parts` compressed each as its own gzip member (zlib `level`) and concatenated, as a
   * `.warc.gz` is: the object is `Buffer.concat(parts.map((p) => gzipSync(p, { level })))`, compressed
   * on the writer thread.
   */
  async putGzipMembers(parts: Buffer[], level: number): Promise<StoredObject> {
    return writer.put(this.root, parts, level, this.packBytes);
  }

  /**
   * The bytes of object `sha256`, re-hashed on the way out: bytes changed on disk are never
   * passed on as evidence (NonRetryableError naming the object and where it is).
   */
  async get(sha256: string): Promise<Buffer> {
    const at = await this.locate(sha256);
    if (!at) throw new NonRetryableError('internal', `evidence object ${sha256} is missing (${this.root})`);
    let data: Buffer;
    try {
      data = await readRange(at);
    } catch (err) {
      throw new NonRetryableError('internal', `evidence object ${sha256} is missing (${at.path})`, {
        cause: err,
      });
    }
    const actual = sha256Hex(data);
    if (actual !== sha256) {
      throw new NonRetryableError(
        'internal',
        `evidence object ${sha256} (${at.path}, ${at.size} bytes at ${at.offset}) was altered on disk: its SHA-256 is now ${actual}`,
      );
    }
    return data;
  }
}

/** The bytes of `at` (fewer when the file is shorter than its index says). */
async function readRange(at: ObjectLocation): Promise<Buffer> {
  const file = await open(at.path, 'r');
  try {
    const buf = Buffer.alloc(at.size);
    let done = 0;
    while (done < at.size) {
      const { bytesRead } = await file.read(buf, done, at.size - done, at.offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === at.size ? buf : buf.subarray(0, done);
  } finally {
    await file.close();
  }
}

interface WriterReply {
  id: number;
  sha256?: string;
  size?: number;
  written?: boolean;
  location?: ObjectLocation | null;
  error?: { message: string; code?: string; errno?: number; syscall?: string; path?: string };
}

interface Pending {
  resolve(r: WriterReply): void;
  reject(err: Error): void;
}

type WriterRequest =
  | {
      id: number;
      op: 'put';
      root: string;
      /** Each part its own copy, moved to the thread. */
      parts: Uint8Array[];
      /** gzip each part at this zlib level; null: store the one part as it is. */
      level: number | null;
      packBytes: number;
    }
  | { id: number; op: 'locate'; root: string; sha256: string };

/**
 * The process's writer thread: started on the first request, kept referenced (holding the process
 * open) only while requests are pending, replaced after it dies (its pending requests then fail).
 * Requests made in the same tick (a page's WARC and text) travel as one message each way: each message
 * costs the main thread about as much as hashing the page.
 */
class ObjectWriter {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private batch: WriterRequest[] = [];
  private seq = 0;

  async put(root: string, parts: Buffer[], level: number | null, packBytes: number): Promise<StoredObject> {
    // Copies with their own ArrayBuffers, moved (not cloned again) to the thread: a part may be a view
    // of a larger or shared buffer, and the caller keeps using it.
    const copies = parts.map((p) => new Uint8Array(p));
    const r = await this.request({ id: ++this.seq, op: 'put', root, parts: copies, level, packBytes });
    return { sha256: r.sha256 ?? '', size: r.size ?? 0, written: r.written ?? false };
  }

  async locate(root: string, sha256: string): Promise<ObjectLocation | null> {
    return (await this.request({ id: ++this.seq, op: 'locate', root, sha256 })).location ?? null;
  }

  private request(r: WriterRequest): Promise<WriterReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(r.id, { resolve, reject });
      this.batch.push(r);
      if (this.batch.length === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    let worker: Worker;
    try {
      worker = this.thread();
      worker.ref();
      worker.postMessage(
        batch,
        batch.flatMap((r) => (r.op === 'put' ? r.parts.map((p) => p.buffer as ArrayBuffer) : [])),
      );
    } catch (err) {
      for (const r of batch) {
        this.pending.get(r.id)?.reject(err instanceof Error ? err : new Error(String(err)));
        this.pending.delete(r.id);
      }
      if (this.pending.size === 0) this.worker?.unref();
    }
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // No inherited execArgv: the thread needs no loader (tsx).
    const worker = new Worker(WRITER_FILE, { execArgv: [], name: 'spiderweb evidence writer' });
    worker.unref();
    worker.on('message', (replies: WriterReply[]) => {
      for (const reply of replies) this.settle(reply);
      if (this.pending.size === 0 && this.batch.length === 0) worker.unref();
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) p.reject(err);
    };
    worker.on('error', (err) =>
      fail(new Error(`evidence writer thread failed: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) => fail(new Error(`evidence writer thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: WriterReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.error) {
      // The fs error as thrown in the thread (code, errno, syscall, path), for callers that sort by code.
      const { message, ...props } = reply.error;
      const err = new Error(message);
      for (const [k, v] of Object.entries(props)) if (v !== undefined) Object.assign(err, { [k]: v });
      p.reject(err);
    } else p.resolve(reply);
  }
}

/** The writer thread's code (see that file for what a batch does there). */
const WRITER_FILE = new URL('src/evidence/object-writer.cjs', ROOT_URL);

const writer = new ObjectWriter();
