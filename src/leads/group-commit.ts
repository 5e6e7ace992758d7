import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A write: statements run inside a transaction the writer owns (never `db.transaction()` of its own). */
export type WriteFn<T> = (tx: Kysely<Database>) => Promise<T>;

/**
 * `Store.write` as the store's parts get it: runs a write atomically (a group commit on SQLite).
 * `{ statement: true }` says `fn` runs one statement, atomic by itself: PostgreSQL then runs it
 * without a transaction of its own (one round trip instead of three).
 */
export type Write = <T>(fn: WriteFn<T>, opts?: { statement?: boolean }) => Promise<T>;

export interface GroupCommitStats {
  /** Transactions committed. */
  commits: number;
  /** Writes committed (what `commits` would have been without grouping). */
  writes: number;
  /** Times the write lock was held by another process and the batch waited (without blocking). */
  busyWaits: number;
}

interface Pending {
  fn: WriteFn<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Writes in one transaction at most. */
const MAX_WRITES = 64;

const SQLITE_BUSY = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);

/**
 * Group commit for one SQLite connection: writes of many jobs (a page, its identifiers and links; a
 * lead, its cluster and history) queued during one turn of the event loop run in one transaction, at
 * most `MAX_WRITES` of them, and
 * each write's promise settles only after that transaction commits, so a job completes only once what
 * it wrote is durable. Each write runs under its own savepoint: one that throws is rolled back alone
 * and rejects alone; the others commit.
 *
 * The transaction starts with `BEGIN IMMEDIATE` under a zero busy timeout: when another process holds
 * SQLite's write lock the batch is retried after a pause of a few milliseconds instead of waiting inside
 * SQLite, so the event loop never blocks on another process's lock (fetches, Redis and reads carry on;
 * WAL readers are never blocked). Once the lock is taken, no statement of the batch waits on anyone.
 *
 * No write waits for company beyond that turn: a wait of a few milliseconds adds its latency to every
 * job, which a worker bound by its concurrency pays in pages/s.
 */
export class GroupCommit {
  private readonly queue: Pending[] = [];
  /** The pending flush (at the end of this turn of the event loop). */
  private immediate: NodeJS.Immediate | null = null;
  private flushing: Promise<void> | null = null;
  readonly stats: GroupCommitStats = { commits: 0, writes: 0, busyWaits: 0 };
  /**
   * `begin`'s two pragmas, prepared once (`sqlite.pragma()` prepares on every call): no busy timeout, and
   * the connection's own back (read once: only `begin` changes it, and it puts it back).
   */
  private busyTimeout: { none: SQLite.Statement; restore: SQLite.Statement } | null = null;

  constructor(
    /** The query layer over `sqlite` (asked each batch: a store's plugins, tests' statement counters, apply). */
    private readonly db: () => Kysely<Database>,
    private readonly sqlite: SQLite.Database,
  ) {}

  /** Runs `fn` in the next batch; settles once the batch has committed (or `fn` failed and was rolled back). */
  run<T>(fn: WriteFn<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commits what is queued; resolves when nothing is left (closing the store calls it). */
  async drain(): Promise<void> {
    while (this.queue.length || this.flushing) {
      this.cancelPending();
      await (this.flushing ?? this.flush());
    }
  }

  private schedule(): void {
    if (this.flushing) return; // the running flush picks the queue up when it ends
    if (this.queue.length >= MAX_WRITES) {
      this.cancelPending();
      void this.flush();
    } else if (!this.immediate) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        void this.flush();
      });
    }
  }

  private cancelPending(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
  }

  private flush(): Promise<void> {
    const run = (async () => {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_WRITES);
        try {
          const outcomes = await this.commit(batch);
          outcomes.forEach((o, i) => {
            const p = batch[i] as Pending;
            if (o.ok) p.resolve(o.value);
            else p.reject(o.error);
          });
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    })();
    this.flushing = run.finally(() => {
      this.flushing = null;
      if (this.queue.length) this.schedule();
    });
    return this.flushing;
  }

  /** One transaction for `batch`: waits (asynchronously) for the write lock, then runs each write under a savepoint. */
  private async commit(
    batch: Pending[],
  ): Promise<Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>> {
    for (let attempt = 0; ; attempt++) {
      const outcomes = await this.db()
        .connection()
        .execute(async (conn) => {
          if (!this.begin()) return null;
          try {
            const out: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
            for (const p of batch) {
              this.sqlite.exec('SAVEPOINT w');
              try {
                const value = await p.fn(conn);
                this.sqlite.exec('RELEASE w');
                out.push({ ok: true, value });
              } catch (error) {
                this.sqlite.exec('ROLLBACK TO w');
                this.sqlite.exec('RELEASE w');
                out.push({ ok: false, error });
              }
            }
            this.sqlite.exec('COMMIT');
            this.stats.commits++;
            this.stats.writes += out.filter((o) => o.ok).length;
            return out;
          } catch (err) {
            if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
            throw err;
          }
        });
      if (outcomes) return outcomes;
      this.stats.busyWaits++;
      // Another process writes: try again soon (0.5–7.5 ms, jittered; a try costs microseconds), so the
      // lock is not left idle while its next taker sleeps, and without holding this process up.
      const pause = (1 + Math.min(attempt, 4)) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  /** `BEGIN IMMEDIATE` without waiting: false when another connection holds the write lock. */
  private begin(): boolean {
    this.busyTimeout ??= {
      none: this.sqlite.prepare('PRAGMA busy_timeout = 0'),
      restore: this.sqlite.prepare(
        `PRAGMA busy_timeout = ${this.sqlite.pragma('busy_timeout', { simple: true })}`,
      ),
    };
    this.busyTimeout.none.get();
    try {
      this.sqlite.exec('BEGIN IMMEDIATE');
      return true;
    } catch (err) {
      if (SQLITE_BUSY.has((err as { code?: string }).code ?? '')) return false;
      throw err;
    } finally {
      this.busyTimeout.restore.get();
    }
  }
}
