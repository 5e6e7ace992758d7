import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * Says once that a dependency (Redis) is unreachable, "waiting for Redis since …", instead of a warning
 * per failed command or job, and once that it is back. `since` tells a caller how long it has waited.
 */
export class OutageWatch {
  private sinceMs: number | null = null;
  private errors = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what = 'Redis',
  ) {}

  /** When the outage began (ms since epoch), or null while the dependency answers. */
  get since(): number | null {
    return this.sinceMs;
  }

  /** The line shown while it lasts. */
  message(): string | null {
    return this.sinceMs === null
      ? null
      : `waiting for ${this.what} since ${new Date(this.sinceMs).toISOString()}`;
  }

  failed(err: unknown): void {
    this.errors++;
    if (this.sinceMs !== null) return;
    this.sinceMs = Date.now();
    this.logger.warn({ err: errorMessage(err) }, this.message() ?? '');
  }

  answered(): void {
    if (this.sinceMs === null) return;
    const seconds = Math.round((Date.now() - this.sinceMs) / 1000);
    this.logger.warn({ seconds, errors: this.errors }, `${this.what} is back after ${seconds}s`);
    this.sinceMs = null;
    this.errors = 0;
  }
}
