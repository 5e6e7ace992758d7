/**
 * Reading a hostile response body: content-encoding removed with node:zlib streams, size cap
 * enforced on the decoded bytes while streaming, decompression-bomb guard, total and idle time
 * limits, early refusal of binary content.
 */
import type { Readable } from 'node:stream';
import { pipeline, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { NonRetryableError, TransientError } from '../../errors.ts';
import { looksBinary } from './charset.ts';

/** Bytes decoded before the compression-ratio guard starts judging. */
export const BOMB_CHECK_AFTER_BYTES = 1024 * 1024;
const SNIFF_BYTES = 1024;

export interface BodyLimits {
  url: string;
  maxBytes: number;
  maxCompressionRatio: number;
  /** Total time for the whole body (the idle timeout is undici's `bodyTimeout`). */
  bodyTimeoutMs: number;
  /** Content-Type header value, for the binary sniff. */
  contentType: string | undefined;
  /** Refuse a body that starts like a binary file (NonRetryableError('content-type')). */
  sniffBinary: boolean;
}

export interface BodyResult {
  body: Buffer;
  truncated: boolean;
  /** Bytes received on the wire (before decompression). */
  receivedBytes: number;
}

/** `deflate` is zlib-wrapped by the RFC, but some servers send raw deflate: decide on the first bytes. */
class AutoInflate extends Transform {
  #inner: zlib.Inflate | zlib.InflateRaw | undefined;
  #callback: TransformCallback | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.#inner) {
      const b0 = chunk[0] ?? 0;
      const b1 = chunk[1] ?? 0;
      const zlibHeader = (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
      const opts = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
      const inner = zlibHeader ? zlib.createInflate(opts) : zlib.createInflateRaw(opts);
      inner.on('data', (d: Buffer) => this.push(d));
      inner.on('error', (e) => this.destroy(e));
      inner.on('end', () => this.#callback?.());
      this.#inner = inner;
    }
    this.#inner.write(chunk, () => cb());
  }

  override _flush(cb: TransformCallback): void {
    if (!this.#inner) {
      cb();
      return;
    }
    this.#callback = cb;
    this.#inner.end();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#inner?.destroy();
    cb(err);
  }

  /** Input bytes consumed by the engine, for the ratio guard. */
  get consumed(): number {
    return this.#inner?.bytesWritten ?? 0;
  }
}

type Decoder = Transform & { bytesWritten?: number; consumed?: number };

/** The decoders for a Content-Encoding header, outermost first (the order to apply them). */
export function decodersFor(contentEncoding: string | undefined, url: string): Decoder[] {
  if (!contentEncoding) return [];
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  return codings.reverse().map((c): Decoder => {
    switch (c) {
      case 'gzip':
      case 'x-gzip':
        return zlib.createGunzip(flush);
      case 'deflate':
        return new AutoInflate();
      case 'br':
        return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
      default:
        throw new NonRetryableError('content-type', `${url}: unsupported content-encoding ${c}`);
    }
  });
}

function consumedBy(d: Decoder): number {
  return d instanceof AutoInflate ? d.consumed : (d.bytesWritten ?? 0);
}

/**
 * Read `source` to the end or to a limit. Over `maxBytes` (decoded) the request is aborted and the
 * body returned cut at exactly `maxBytes` with `truncated: true`; a compression ratio above the
 * limit beyond 1 MiB fails with NonRetryableError('decompression-bomb'); running past the total
 * body time fails with TransientError('timeout').
 */
export async function readBody(
  source: Readable,
  contentEncoding: string | undefined,
  limits: BodyLimits,
): Promise<BodyResult> {
  // Destroying an unfinished undici body emits an error of its own; we report ours instead.
  source.on('error', () => {});
  let decoders: Decoder[];
  try {
    decoders = decodersFor(contentEncoding, limits.url);
  } catch (err) {
    source.destroy();
    throw err;
  }
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      cb(null, chunk);
    },
  });
  const output: Readable =
    decoders.length === 0
      ? source
      : (pipeline([source, counter, ...decoders], () => {}) as unknown as Readable);
  const first = decoders[0];

  const timer = setTimeout(() => {
    const err = new TransientError(
      'timeout',
      `${limits.url}: body not complete after ${limits.bodyTimeoutMs} ms`,
    );
    source.destroy(err);
    output.destroy(err);
  }, limits.bodyTimeoutMs);

  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let sniffed = !limits.sniffBinary;
  // A compressed body is judged by its ratio first (a bomb of zeros is reported as a bomb).
  const sniffAt = decoders.length > 0 ? BOMB_CHECK_AFTER_BYTES : SNIFF_BYTES;
  try {
    // Not destroying on normal completion keeps the connection reusable (keep-alive); every early
    // exit destroys the streams in `finally`.
    for await (const chunk of output.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (first && size >= BOMB_CHECK_AFTER_BYTES) {
        const consumed = Math.max(consumedBy(first), 1);
        if (size / consumed > limits.maxCompressionRatio) {
          throw new NonRetryableError(
            'decompression-bomb',
            `${limits.url}: ${size} bytes decoded from ${consumed} (ratio over ${limits.maxCompressionRatio}:1)`,
          );
        }
      }
      if (size > limits.maxBytes) {
        const keep = chunk.length - (size - limits.maxBytes);
        chunks.push(chunk.subarray(0, keep));
        size = limits.maxBytes;
        truncated = true;
      } else {
        chunks.push(chunk);
      }
      if (!sniffed && (size >= sniffAt || truncated)) {
        sniffed = true;
        refuseBinary(Buffer.concat(chunks), limits);
      }
      if (truncated) break;
    }
  } finally {
    clearTimeout(timer);
    if (truncated || !source.readableEnded) {
      source.destroy();
      output.destroy();
    }
  }
  if (decoders.length === 0) received = size;
  const body = Buffer.concat(chunks, size);
  if (!sniffed) refuseBinary(body, limits);
  return { body, truncated, receivedBytes: received };
}

function refuseBinary(head: Buffer, limits: BodyLimits): void {
  if (looksBinary(head, limits.contentType)) {
    throw new NonRetryableError(
      'content-type',
      `${limits.url}: body is binary although served as ${limits.contentType ?? 'nothing'}`,
    );
  }
}
