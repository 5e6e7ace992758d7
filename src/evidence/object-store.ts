import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NonRetryableError } from '../errors.ts';
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
 * flushed to disk, made read-only and renamed into place, so a reader never sees half a file and
 * any number of workers may share the directory (two writers of the same object write the same
 * bytes; the rename of the second is harmless). Identical content is stored once.
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

  /** Stores `data` unless an object with its hash exists. */
  async put(data: Buffer): Promise<StoredObject> {
    const sha256 = sha256Hex(data);
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) return { sha256, size: data.length, written: false };
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    await mkdir(join(target, '..'), { recursive: true });
    const tmp = join(tmpDir, `${sha256.slice(0, 16)}.${process.pid}.${randomBytes(6).toString('hex')}`);
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await chmod(tmp, 0o444);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    return { sha256, size: data.length, written: true };
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
