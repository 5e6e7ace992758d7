/** Response headers on every answer of the review app (pages, API, static files, errors). */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** A redirect target after sign-in: an app path only (`/leads/3?x`), never `//host` or `/\host`. */
export function safeNext(next: string | undefined | null): string {
  if (!next || !/^\/(?![/\\])[^\s\\]*$/.test(next)) return '/';
  return next;
}

/**
 * Slows down password guessing: after `maxFails` failures for one name (or one client) within
 * `windowMs`, sign-in for it is refused until the window passes. In memory, per process.
 */
export class LoginLimiter {
  private readonly fails = new Map<string, { n: number; since: number }>();
  constructor(
    private readonly maxFails = 10,
    private readonly windowMs = 15 * 60 * 1000,
  ) {}

  blocked(keys: string[], now = Date.now()): boolean {
    return keys.some((k) => {
      const f = this.fails.get(k);
      if (!f) return false;
      if (now - f.since > this.windowMs) {
        this.fails.delete(k);
        return false;
      }
      return f.n >= this.maxFails;
    });
  }

  fail(keys: string[], now = Date.now()): void {
    if (this.fails.size > 10_000) this.fails.clear();
    for (const k of keys) {
      const f = this.fails.get(k);
      if (!f || now - f.since > this.windowMs) this.fails.set(k, { n: 1, since: now });
      else f.n++;
    }
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.fails.delete(k);
  }
}
