/**
 * Errors that tell the caller what to do. Workers map them onto BullMQ behaviour in one place
 * (`src/queue/retry.ts`); nothing decides by matching message text.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'NON_RETRYABLE'
  | 'RETRY_LATER'
  | 'USAGE'
  | 'REDIS_UNAVAILABLE'
  | 'OUT_OF_SCOPE'
  | 'CRAWL_ENDED'
  | 'TRANSIENT';

export class SpiderwebError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A config file is wrong. `file` and `line` say where, `field` names the dotted path of the bad field. */
export class ConfigError extends SpiderwebError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly field: string | undefined;
  constructor(
    file: string,
    detail: string,
    where: { line?: number | undefined; column?: number | undefined; field?: string | undefined } = {},
  ) {
    const pos =
      where.line === undefined ? '' : `:${where.line}${where.column === undefined ? '' : `:${where.column}`}`;
    const field = where.field ? ` (field ${where.field})` : '';
    super('CONFIG_INVALID', `${file}${pos}${field}: ${detail}`);
    this.file = file;
    this.line = where.line;
    this.column = where.column;
    this.field = where.field;
  }
}

/**
 * The job's crawl is over: cancelled (`crawl --cancel`, Ctrl-C) or lost (Redis lost its state). The job
 * is dropped: nothing is fetched or recorded for it.
 */
export class CrawlEndedError extends SpiderwebError {
  constructor(
    readonly crawlId: string,
    readonly state: 'cancelled' | 'lost',
  ) {
    super('CRAWL_ENDED', `crawl ${crawlId} is ${state}`);
  }
}

/** Bad command-line usage. The CLI exits 2. */
export class UsageError extends SpiderwebError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/**
 * Short, stable reasons a fetch ends without a usable page. Recorded on the page row and counted,
 * so operators see why (`timeout`, `too-large`, `private-network`...).
 */
export type FailReason =
  | 'timeout'
  | 'network'
  | 'proxy'
  | 'too-large'
  | 'decompression-bomb'
  | 'redirect-limit'
  | 'out-of-scope'
  | 'private-network'
  | 'content-type'
  | 'http-status'
  | 'robots'
  | 'politeness'
  | 'browser'
  | 'invalid-url'
  | 'internal';

/** Retrying cannot help (out of scope, not HTML, private address...). The job fails at once. */
export class NonRetryableError extends SpiderwebError {
  readonly reason: FailReason;
  constructor(reason: FailReason, message: string, options?: ErrorOptions) {
    super('NON_RETRYABLE', message, options);
    this.reason = reason;
  }
}

/** Try again after exactly `delayMs` (429/503 with Retry-After, host paused by its breaker...). */
export class RetryLaterError extends SpiderwebError {
  readonly reason: FailReason;
  readonly delayMs: number;
  constructor(reason: FailReason, message: string, delayMs: number, options?: ErrorOptions) {
    super('RETRY_LATER', message, options);
    this.reason = reason;
    this.delayMs = delayMs;
  }
}

/** May succeed on a later try (5xx, timeout, connection reset): retried with exponential backoff and jitter. */
export class TransientError extends SpiderwebError {
  readonly reason: FailReason;
  constructor(reason: FailReason, message: string, options?: ErrorOptions) {
    super('TRANSIENT', message, options);
    this.reason = reason;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
