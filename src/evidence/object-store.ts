import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
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

/**
 * Content-addressed evidence files under `root` (default `<dataDir>/evidence`):
 * `objects/sha256/<first two hex digits>/<64 hex digits>`. An object is written to `tmp/` first,
 * flushed to disk, made read-only (0444) and renamed into place, so a reader never sees half a file
 * and any number of workers may share the directory (two writers of the same object write the same
 * bytes; the rename of the second is harmless). Identical content is stored once.
 *
 * `put` does its hashing and file work on a writer thread (one per process, shared by every store):
 * the dozen file-system round trips of a put each cost the main thread a wake-up, and the main thread
 * is what limits a fetch worker's pages per second.
 */
export class EvidenceStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The store in `<dataDir>/evidence`. */
  static forDataDir(dataDir: string): EvidenceStore {
    return new EvidenceStore(join(dataDir, 'evidence'));
  }

  /** Where object `sha256` lives (whether or not it exists). Throws on anything but 64 hex digits. */
  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256))
      throw new NonRetryableError('internal', `not a SHA-256 object name: ${sha256}`);
    return join(this.root, 'objects', 'sha256', sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await access(this.pathOf(sha256), constants.F_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** Stores `data` unless an object with its hash exists. `data` is copied: the caller keeps it. */
  async put(data: Buffer): Promise<StoredObject> {
    return writer.put(this.root, [data], null);
  }

  /**
   * Stores `parts` compressed each as its own gzip member (zlib `level`) and concatenated, as a
   * `.warc.gz` is: the object is `Buffer.concat(parts.map((p) => gzipSync(p, { level })))`, compressed
   * on the writer thread.
   */
  async putGzipMembers(parts: Buffer[], level: number): Promise<StoredObject> {
    return writer.put(this.root, parts, level);
  }

  /**
   * The bytes of object `sha256`, re-hashed on the way out: a file changed on disk is never
   * passed on as evidence (NonRetryableError naming the object).
   */
  async get(sha256: string): Promise<Buffer> {
    const path = this.pathOf(sha256);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      throw new NonRetryableError('internal', `evidence object ${sha256} is missing (${path})`, {
        cause: err,
      });
    }
    const actual = sha256Hex(data);
    if (actual !== sha256) {
      throw new NonRetryableError(
        'internal',
        `evidence object ${path} was altered on disk: its SHA-256 is now ${actual}`,
      );
    }
    return data;
  }
}

interface WriterReply {
  id: number;
  sha256?: string;
  size?: number;
  written?: boolean;
  error?: { message: string; code?: string; errno?: number; syscall?: string; path?: string };
}

interface Pending {
  resolve(r: StoredObject): void;
  reject(err: Error): void;
}

interface WriterRequest {
  id: number;
  root: string;
  /** Each part its own copy, moved to the thread. */
  parts: Uint8Array[];
  /** gzip each part at this zlib level; null: store the one part as it is. */
  level: number | null;
}

/**
 * The process's writer thread: started on the first put, kept referenced (holding the process open)
 * only while puts are pending, replaced after it dies (its pending puts then fail). Puts made in the
 * same tick (a page's WARC and text) travel as one message each way: each message costs the main
 * thread about as much as hashing the page.
 */
class ObjectWriter {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private batch: WriterRequest[] = [];
  private seq = 0;

  put(root: string, parts: Buffer[], level: number | null): Promise<StoredObject> {
    // Copies with their own ArrayBuffers, moved (not cloned again) to the thread: a part may be a view
    // of a larger or shared buffer, and the caller keeps using it.
    const copies = parts.map((p) => new Uint8Array(p));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.batch.push({ id, root, parts: copies, level });
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
        batch.flatMap((r) => r.parts.map((p) => p.buffer as ArrayBuffer)),
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
    } else p.resolve({ sha256: reply.sha256 ?? '', size: reply.size ?? 0, written: reply.written ?? false });
  }
}

/** The writer thread's code (see that file for what a put does there). */
const WRITER_FILE = new URL('src/evidence/object-writer.cjs', ROOT_URL);

const writer = new ObjectWriter();
