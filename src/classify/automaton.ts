/**
 * Aho-Corasick automaton over UTF-16 code units: finds every occurrence of every pattern in one
 * pass over the text, whatever the number of patterns. Transitions on the Latin and Cyrillic
 * characters that occur in patterns are a dense DFA table (one array read per character); other
 * characters that occur in patterns (Chinese) use a hash map plus failure links; a character that
 * occurs in no pattern sends the automaton straight back to the root.
 */

/** Characters below this code get dense columns when they occur in a pattern (Latin, Cyrillic). */
const DENSE_LIMIT = 0x0530;

export class Automaton {
  /** Column of each UTF-16 code unit: -1 when in no pattern, ≥ 0x10000 for a sparse one. */
  private readonly colOf: Int32Array;
  private readonly cols: number;
  /** Dense transitions, `state * cols + col`; 16-bit when the states fit (half the cache misses). */
  private readonly table: Int32Array | Uint16Array;
  /** Sparse transitions: `state * sparseCount + sparseIndex` → next state. */
  private readonly sparse: Map<number, number>;
  private readonly sparseCount: number;
  private readonly fail: Int32Array;
  private readonly out: Array<number[] | undefined>;
  /** 1 where a state has outputs: a small array read per character instead of a sparse one. */
  private readonly hasOut: Uint8Array;
  private readonly lengths: number[];
  /** Depth of each state in the trie (the length of the prefix it spells). */
  private readonly depth: Int32Array;
  /**
   * The trie alone, compact (compressed rows: a few hundred KB that stay in cache) for `child`:
   * the children of state `s` are `trieCode/trieNext[trieFirst[s] .. trieFirst[s + 1])`, sorted
   * by code; the root's children are also in `rootNext` by code.
   */
  private readonly trieFirst: Int32Array;
  private readonly trieCode: Uint16Array;
  private readonly trieNext: Int32Array;
  private readonly rootNext: Int32Array;
  /** Patterns spelled exactly by each state (not the suffixes its failure links add). */
  private readonly own: Array<number[] | undefined>;
  readonly size: number;

  constructor(patterns: readonly string[]) {
    // Alphabet: ASCII always, then dense and sparse columns for the other characters in patterns.
    this.colOf = new Int32Array(0x10000).fill(-1);
    let dense = 0;
    let sparseCount = 0;
    for (const p of patterns) {
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        if (this.colOf[c] !== -1) continue;
        this.colOf[c] = c < DENSE_LIMIT ? dense++ : 0x10000 + sparseCount++;
      }
    }
    this.cols = dense;
    this.sparseCount = Math.max(1, sparseCount);
    // Trie.
    const children: Array<Map<number, number>> = [new Map()];
    const ends: Array<number[] | undefined> = [undefined];
    this.lengths = patterns.map((p) => p.length);
    patterns.forEach((p, id) => {
      if (p.length === 0) return;
      let node = 0;
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        let next = children[node]!.get(c);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          ends.push(undefined);
          children[node]!.set(c, next);
        }
        node = next;
      }
      const list = ends[node];
      if (list) list.push(id);
      else ends[node] = [id];
    });
    const n = children.length;
    this.size = n;
    this.own = ends.map((e) => (e ? [...e] : undefined));
    this.depth = new Int32Array(n);
    this.trieFirst = new Int32Array(n + 1);
    this.trieCode = new Uint16Array(n);
    this.trieNext = new Int32Array(n);
    this.rootNext = new Int32Array(0x10000).fill(-1);
    let edge = 0;
    for (let node = 0; node < n; node++) {
      this.trieFirst[node] = edge;
      const kids = [...children[node]!].sort((x, y) => x[0] - y[0]);
      for (const [c, child] of kids) {
        this.trieCode[edge] = c;
        this.trieNext[edge] = child;
        edge++;
        if (node === 0) this.rootNext[c] = child;
      }
    }
    this.trieFirst[n] = edge;
    this.fail = new Int32Array(n);
    this.table = n <= 0xffff ? new Uint16Array(n * dense) : new Int32Array(n * dense);
    this.sparse = new Map();
    this.out = ends;
    this.hasOut = new Uint8Array(n);
    const denseChars: number[] = [];
    for (let c = 0; c < DENSE_LIMIT; c++) if (this.colOf[c]! >= 0) denseChars.push(c);
    // BFS: failure links, merged outputs, dense transitions.
    const queue: number[] = [0];
    for (let qi = 0; qi < queue.length; qi++) {
      const node = queue[qi]!;
      const f = this.fail[node]!;
      if (node !== 0) {
        const inherited = this.out[f];
        if (inherited) this.out[node] = [...(this.out[node] ?? []), ...inherited];
      }
      if (this.out[node]) this.hasOut[node] = 1;
      for (const c of denseChars) {
        const col = this.colOf[c]!;
        const child = children[node]!.get(c);
        if (child !== undefined) this.table[node * dense + col] = child;
        else this.table[node * dense + col] = node === 0 ? 0 : this.table[f * dense + col]!;
      }
      for (const [c, child] of children[node]!) {
        this.depth[child] = this.depth[node]! + 1;
        const col = this.colOf[c]!;
        if (col >= 0x10000) this.sparse.set(node * this.sparseCount + (col - 0x10000), child);
        this.fail[child] = node === 0 ? 0 : this.walk(f, c, children);
        queue.push(child);
      }
    }
  }

  private walk(state: number, c: number, children: Array<Map<number, number>>): number {
    let s = state;
    for (;;) {
      const next = children[s]!.get(c);
      if (next !== undefined) return next;
      if (s === 0) return 0;
      s = this.fail[s]!;
    }
  }

  /**
   * Feeds `text` to the automaton from `state`; calls `onMatch(patternId, start, end)` for every
   * occurrence, with offsets counted from `base` (end exclusive). Returns the state after the text,
   * so a stream can be fed in pieces without joining them.
   */
  feed(
    text: string,
    state: number,
    base: number,
    onMatch: (pattern: number, start: number, end: number) => void,
  ): number {
    const colOf = this.colOf;
    const table = this.table;
    const cols = this.cols;
    const hasOut = this.hasOut;
    let s = state;
    for (let i = 0; i < text.length; i++) {
      const col = colOf[text.charCodeAt(i)]!;
      if (col < 0) s = 0;
      else if (col < 0x10000) s = table[s * cols + col]!;
      else {
        const k = col - 0x10000;
        for (;;) {
          const next = this.sparse.get(s * this.sparseCount + k);
          if (next !== undefined) {
            s = next;
            break;
          }
          if (s === 0) break;
          s = this.fail[s]!;
        }
      }
      if (hasOut[s] === 1) {
        for (const id of this.out[s]!) onMatch(id, base + i + 1 - this.lengths[id]!, base + i + 1);
      }
    }
    return s;
  }

  /**
   * Trie step without failure links: the child of `state` on `code`, or -1. Walking from a token
   * start with it finds the patterns that start there, touching only the few states on the way.
   */
  child(state: number, code: number): number {
    if (state === 0) return this.rootNext[code]!;
    const codes = this.trieCode;
    let lo = this.trieFirst[state]!;
    let hi = this.trieFirst[state + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = codes[mid]!;
      if (c === code) return this.trieNext[mid]!;
      if (c < code) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Patterns that end at `state` and start where the walk started (undefined when none). */
  patternsAt(state: number): readonly number[] | undefined {
    return this.own[state];
  }

  /** Calls `onMatch(patternId, start, end)` for every occurrence in `text` (end exclusive). */
  search(text: string, onMatch: (pattern: number, start: number, end: number) => void): void {
    this.feed(text, 0, 0, onMatch);
  }
}
