/**
 * Aho-Corasick automaton over UTF-16 code units: finds every occurrence of every pattern in one
 * pass over the text, whatever the number of patterns. ASCII transitions are a dense DFA table
 * (one array read per character); other characters use a hash map plus failure links.
 */
export class Automaton {
  private readonly ascii: Int32Array;
  private readonly other: Map<number, number>;
  private readonly fail: Int32Array;
  private readonly out: Array<number[] | undefined>;
  private readonly lengths: number[];
  readonly size: number;

  constructor(patterns: readonly string[]) {
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
    this.fail = new Int32Array(n);
    this.ascii = new Int32Array(n * 128);
    this.other = new Map();
    this.out = ends;
    // BFS: failure links, merged outputs, dense ASCII transitions.
    const queue: number[] = [0];
    for (let qi = 0; qi < queue.length; qi++) {
      const node = queue[qi]!;
      const f = this.fail[node]!;
      if (node !== 0) {
        const inherited = this.out[f];
        if (inherited) this.out[node] = [...(this.out[node] ?? []), ...inherited];
      }
      for (let c = 0; c < 128; c++) {
        const child = children[node]!.get(c);
        if (child !== undefined) this.ascii[node * 128 + c] = child;
        else this.ascii[node * 128 + c] = node === 0 ? 0 : this.ascii[f * 128 + c]!;
      }
      for (const [c, child] of children[node]!) {
        if (c >= 128) this.other.set(node * 0x10000 + c, child);
        this.fail[child] = node === 0 ? 0 : this.step(f, c, children);
        queue.push(child);
      }
    }
  }

  private step(state: number, c: number, children: Array<Map<number, number>>): number {
    let s = state;
    for (;;) {
      const next = children[s]!.get(c);
      if (next !== undefined) return next;
      if (s === 0) return 0;
      s = this.fail[s]!;
    }
  }

  /** Calls `onMatch(patternId, start, end)` for every occurrence in `text` (end exclusive). */
  search(text: string, onMatch: (pattern: number, start: number, end: number) => void): void {
    const ascii = this.ascii;
    const other = this.other;
    const fail = this.fail;
    const out = this.out;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 128) s = ascii[s * 128 + c]!;
      else {
        for (;;) {
          const next = other.get(s * 0x10000 + c);
          if (next !== undefined) {
            s = next;
            break;
          }
          if (s === 0) break;
          s = fail[s]!;
        }
      }
      const o = out[s];
      if (o) for (const id of o) onMatch(id, i + 1 - this.lengths[id]!, i + 1);
    }
  }
}
