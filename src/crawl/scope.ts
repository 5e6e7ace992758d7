import type { SiteConfig } from '../config/index.ts';

/** Why a link was not crawled. Each is counted per crawl (`skipped:<reason>`) and shown in the summary. */
export type SkipReason =
  | 'out-of-scope'
  | 'excluded'
  | 'max-depth'
  | 'max-pages'
  | 'url-too-long'
  | 'invalid-url'
  | 'trap-repeated-segment'
  | 'trap-pattern';

/** URLs longer than this are never crawled (trap and abuse guard). */
export const MAX_URL_LENGTH = 2048;

/** A compiled scope check for one site: allow patterns (default: the seeds' hosts) minus deny patterns. */
export class Scope {
  private readonly allow: RegExp[];
  private readonly deny: RegExp[];
  private readonly hosts: Set<string>;

  constructor(site: Pick<SiteConfig, 'seeds' | 'scope'>) {
    this.allow = site.scope.allow.map((p) => new RegExp(p, 'u'));
    this.deny = site.scope.deny.map((p) => new RegExp(p, 'u'));
    this.hosts = new Set(site.seeds.map((s) => new URL(s).host.toLowerCase()));
  }

  /** null when the URL may be crawled, else the reason it may not. */
  check(url: string): SkipReason | null {
    if (url.length > MAX_URL_LENGTH) return 'url-too-long';
    let host: string;
    try {
      host = new URL(url).host.toLowerCase();
    } catch {
      return 'invalid-url';
    }
    const allowed = this.allow.length ? this.allow.some((r) => r.test(url)) : this.hosts.has(host);
    if (!allowed) return 'out-of-scope';
    if (this.deny.some((r) => r.test(url))) return 'excluded';
    return null;
  }
}

const scopes = new WeakMap<SiteConfig, Scope>();

/** The site's compiled scope, built once per site object. */
export function scopeOf(site: SiteConfig): Scope {
  let s = scopes.get(site);
  if (!s) {
    s = new Scope(site);
    scopes.set(site, s);
  }
  return s;
}
