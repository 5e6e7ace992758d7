/**
 * What a breadth-first crawl of the demo market from `/` fetches, computed from the page models
 * (no server needed). Integration tests use it as the exact expected set of fetched pages.
 */
import { pageLinks, pageModel } from './site.ts';

export interface CrawlPlanOptions {
  /** Links are followed from pages at depth < maxDepth; `/` is depth 0. */
  maxDepth: number;
  /**
   * Query parameters the crawler removes (case-insensitive); a trailing `*` matches a prefix.
   * Default none. The crawler's built-in list covers `utm_*` and `sid`; the demo also uses `ref`.
   */
  stripParams?: readonly string[];
  /** URLs whose path + query matches one of these are neither fetched nor expanded. */
  exclude?: readonly RegExp[];
}

const BASE = 'http://demo.invalid/';

function canonical(href: string, from: string, strip: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(href, new URL(from, BASE));
  } catch {
    return null;
  }
  if (url.origin !== new URL(BASE).origin) return null;
  const matches = (name: string): boolean =>
    strip.some((s) => {
      const p = s.toLowerCase();
      const n = name.toLowerCase();
      return p.endsWith('*') ? n.startsWith(p.slice(0, -1)) : n === p;
    });
  const kept = [...url.searchParams].filter(([name]) => !matches(name));
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = new URLSearchParams(kept).toString();
  return query === '' ? url.pathname : `${url.pathname}?${query}`;
}

/**
 * The path + query of every URL a crawl from `/` fetches, in breadth-first order: same-origin
 * links only, query parameters sorted, fragments dropped, `stripParams` removed.
 */
export function demoCrawlPlan(opts: CrawlPlanOptions): string[] {
  const strip = opts.stripParams ?? [];
  const exclude = opts.exclude ?? [];
  const seen = new Set<string>(['/']);
  const order: string[] = [];
  let frontier = ['/'];
  for (let depth = 0; frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const url of frontier) {
      order.push(url);
      if (depth >= opts.maxDepth) continue;
      const model = pageModel(url);
      if (!model) continue;
      for (const href of pageLinks(model)) {
        const c = canonical(href, url, strip);
        if (c === null || seen.has(c) || exclude.some((re) => re.test(c))) continue;
        seen.add(c);
        next.push(c);
      }
    }
    frontier = next;
  }
  return order;
}
