import type { Request } from 'playwright-core';
import { NonRetryableError } from '../../errors.ts';

/** Only absolute http(s) URLs are rendered. */
export function checkHttpUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NonRetryableError('invalid-url', `invalid URL "${url}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new NonRetryableError('invalid-url', `only http(s) URLs can be rendered, not "${url}"`);
  }
}

/**
 * Playwright's resource type, except that the browser's own favicon fetch (type `other`, asking
 * for images) counts as an `image`, so blocking images blocks favicons too.
 */
export function effectiveType(req: Request): string {
  const type = req.resourceType();
  if (type === 'other' && /^image\//.test(req.headers()['accept'] ?? '')) return 'image';
  return type;
}

/** `work`, or `onTimeout()` thrown at `deadline`. A late rejection of `work` is swallowed. */
export async function withDeadline<T>(
  work: Promise<T>,
  deadline: number,
  onTimeout: () => Error,
): Promise<T> {
  work.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Kill a process by id, ignoring one that is already gone. */
export function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
