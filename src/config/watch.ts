import { type FSWatcher, watch } from 'node:fs';
import type { CompiledLexicons } from '../classify/index.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { lexiconDirFingerprint, loadLexicons } from './lexicons.ts';

export interface LexiconStatus {
  version: string;
  loadedAt: string;
  /** The last change that was refused (file:line: message), until a valid change replaces it. */
  error: string | null;
  errorAt: string | null;
}

/**
 * Keeps the lexicons in force current while a worker runs: a change to `dir` is compiled in the
 * background and swapped in atomically (classifications already running finish with the old ones);
 * an invalid change is refused, logged with its file and line, and the old lexicons keep running.
 * Changes are noticed by `fs.watch` and, as a fallback for filesystems without events, by polling
 * names, sizes and times every `pollMs`.
 */
export class LexiconWatcher {
  private lexicons: CompiledLexicons;
  private status: LexiconStatus;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private fingerprint = '';
  private reloading: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    initial: CompiledLexicons,
    private readonly log: Logger,
    private readonly opts: { debounceMs?: number; pollMs?: number } = {},
  ) {
    this.lexicons = initial;
    this.status = {
      version: initial.version,
      loadedAt: new Date().toISOString(),
      error: null,
      errorAt: null,
    };
  }

  current(): CompiledLexicons {
    return this.lexicons;
  }

  state(): LexiconStatus {
    return { ...this.status };
  }

  async start(): Promise<void> {
    this.fingerprint = await this.scan();
    try {
      this.watcher = watch(this.dir, () => this.schedule());
      this.watcher.on('error', () => {});
    } catch {
      // No file events here: polling alone notices changes.
    }
    this.poll = setInterval(() => {
      void this.scan().then((f) => {
        if (f !== this.fingerprint) this.schedule();
      });
    }, this.opts.pollMs ?? 1000);
    this.poll.unref();
  }

  close(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
  }

  /** Reloads now (tests, and the debounced watcher). Resolves when the new lexicons are in force or refused. */
  async reload(): Promise<void> {
    while (this.reloading) await this.reloading;
    this.reloading = this.load().finally(() => {
      this.reloading = null;
    });
    await this.reloading;
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), this.opts.debounceMs ?? 150);
  }

  private async load(): Promise<void> {
    this.fingerprint = await this.scan();
    const started = performance.now();
    try {
      const next = await loadLexicons(this.dir);
      const ms = Math.round(performance.now() - started);
      if (next.version === this.lexicons.version) return;
      const previous = this.lexicons.version;
      this.lexicons = next;
      this.status = { version: next.version, loadedAt: new Date().toISOString(), error: null, errorAt: null };
      this.log.info({ version: next.version, previous, compileMs: ms }, 'lexicons reloaded');
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : errorMessage(err);
      this.status = { ...this.status, error: message, errorAt: new Date().toISOString() };
      this.log.error(
        { error: message, keeping: this.lexicons.version },
        'lexicon change refused; keeping the lexicons in force',
      );
    }
  }

  private async scan(): Promise<string> {
    return (await lexiconDirFingerprint(this.dir)) ?? 'unreadable';
  }
}
