/**
 * A bounded memo that keeps what is in use. Entries go into a young map; when it holds `half` of
 * them it becomes the old map (the old one is dropped) and a new young map starts; an old entry read
 * again moves to the young map. So it holds `half` to `2 × half` entries, and the words a site writes
 * on every page stay in it. A memo cleared at once when full drops them with the one-off words
 * (article codes, handles, hashes) that filled it, and meets them all again at first sight.
 */
export class Memo<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  /** `half`: entries of the young map that make the next `set` start a new one (never: `Infinity`, see `rotate`). */
  constructor(private readonly half: number) {}

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Entries set or read since the last rotation. */
  get youngSize(): number {
    return this.young.size;
  }

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined || this.old.size === 0) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.half) this.rotate();
    this.young.set(key, value);
  }

  /** The young map becomes the old one; entries of the old one not read since are dropped. */
  rotate(): void {
    this.old = this.young;
    this.young = new Map();
  }
}
