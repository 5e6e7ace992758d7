/**
 * Sitemaps as seeds: `<urlset>` and `<sitemapindex>` files (nested indexes followed to a bounded
 * depth), gzip-compressed ones (recognised by their magic bytes, whatever the name or type) and
 * plain-text sitemaps (one URL per line). Everything is bounded — files read, nesting depth, bytes
 * per file after decompression, URLs returned — and junk is tolerated: a broken file adds what
 * could be read and an entry in `errors`, never an exception.
 *
 * Files are fetched through an injected function, so the caller's site fetcher (proxy, SSRF
 * guard, politeness) applies. Parsing is a careful scan for `<loc>` elements rather than a DOM,
 * so a 50 MB sitemap costs one string, and a truncated file still yields its complete entries.
 * Only unprefixed `<loc>` (or `<p:loc>` when the root is `<p:urlset>`) count: image and video
 * extension URLs (`<image:loc>`...) are not pages.
 */
import { createGunzip } from 'node:zlib';
import { log } from '../log.ts';
import { MAX_URL_LENGTH } from './scope.ts';

const logger = log.child({ component: 'sitemap' });

/** Fetches one sitemap file with the site's fetcher; `body` is the raw bytes (gzip or not). */
export type SitemapFetch = (url: string) => Promise<{ status: number; body: Buffer }>;

export interface SitemapOptions {
  /** URLs returned at most (deduplicated, in file order). Default 50 000 (one sitemap's limit). */
  maxUrls?: number;
  /** Sitemap files fetched at most, indexes included. Default 100. */
  maxSitemaps?: number;
  /** Index nesting followed: 1 = roots' children only. Default 3. */
  maxDepth?: number;
  /** Bytes of one file kept after gunzip; the rest is cut off. Default 50 MiB (the protocol's limit). */
  maxBytes?: number;
  /**
   * Follow an index's entries only on the index's own host, as the sitemap protocol requires
   * (a hostile index cannot send the crawler elsewhere). Page URLs are returned whatever their
   * host: scope them like links. Default true.
   */
  sameHostOnly?: boolean;
}

export interface SitemapResult {
  /** Page URLs found, deduplicated, absolute http(s). */
  urls: string[];
  /** Sitemap files read, in order. */
  sitemaps: string[];
  /** Files that could not be fetched or read, and why. */
  errors: { url: string; message: string }[];
  /** The bounds that cut the walk short (`maxUrls`, `maxSitemaps`, `maxDepth`, `maxBytes`). */
  limited: string[];
}

export type SitemapKind = 'urlset' | 'sitemapindex' | 'text';

/** `robots.txt` `Sitemap:` lines when there are any, else `/sitemap.xml` of the origin. */
export function sitemapRoots(origin: string, fromRobots: readonly string[]): string[] {
  return fromRobots.length ? [...fromRobots] : [`${origin}/sitemap.xml`];
}

/**
 * Reads the sitemaps at `roots` and every sitemap they index (breadth first, within the bounds)
 * and returns the page URLs they list.
 */
export async function readSitemaps(
  roots: readonly string[],
  fetch: SitemapFetch,
  options: SitemapOptions = {},
): Promise<SitemapResult> {
  const maxUrls = options.maxUrls ?? 50_000;
  const maxSitemaps = options.maxSitemaps ?? 100;
  const maxDepth = options.maxDepth ?? 3;
  const maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  const sameHostOnly = options.sameHostOnly ?? true;

  const result: SitemapResult = { urls: [], sitemaps: [], errors: [], limited: [] };
  const limit = (what: string) => {
    if (!result.limited.includes(what)) result.limited.push(what);
  };
  const urls = new Set<string>();
  const seen = new Set<string>();
  const queue: { url: string; depth: number }[] = [];
  for (const root of roots) {
    const url = absolute(root, undefined);
    if (url && !seen.has(url)) {
      seen.add(url);
      queue.push({ url, depth: 0 });
    } else if (!url) result.errors.push({ url: root, message: 'not an absolute http(s) URL' });
  }

  for (let next = queue.shift(); next; next = queue.shift()) {
    if (urls.size >= maxUrls) break;
    if (result.sitemaps.length >= maxSitemaps) {
      limit('maxSitemaps');
      break;
    }
    const { url, depth } = next;
    result.sitemaps.push(url);
    let text: string;
    try {
      const res = await fetch(url);
      if (res.status < 200 || res.status >= 300) {
        result.errors.push({ url, message: `HTTP ${res.status}` });
        continue;
      }
      const decoded = await decodeBody(res.body, maxBytes);
      if (decoded.truncated) limit('maxBytes');
      if (decoded.error) result.errors.push({ url, message: decoded.error });
      text = decoded.text;
    } catch (err) {
      result.errors.push({ url, message: err instanceof Error ? err.message : String(err) });
      continue;
    }

    const parsed = parseSitemap(text, url);
    if (!parsed) {
      result.errors.push({ url, message: 'not a sitemap (no <urlset>, <sitemapindex> or URL lines)' });
      continue;
    }
    if (parsed.kind === 'sitemapindex') {
      if (depth >= maxDepth) {
        limit('maxDepth');
        continue;
      }
      const host = new URL(url).host;
      for (const child of parsed.locs) {
        if (seen.has(child)) continue;
        if (sameHostOnly && new URL(child).host !== host) {
          result.errors.push({ url: child, message: `listed by ${url} on another host: not followed` });
          continue;
        }
        seen.add(child);
        queue.push({ url: child, depth: depth + 1 });
      }
      continue;
    }
    for (const loc of parsed.locs) {
      if (urls.size >= maxUrls) {
        limit('maxUrls');
        break;
      }
      urls.add(loc);
    }
  }
  if (urls.size >= maxUrls && queue.length) limit('maxUrls');
  result.urls = [...urls];
  logger.debug(
    { roots, sitemaps: result.sitemaps.length, urls: result.urls.length, limited: result.limited },
    'sitemaps read',
  );
  return result;
}

/**
 * The entries of one sitemap file: page URLs of a `<urlset>` or text sitemap, sitemap URLs of a
 * `<sitemapindex>`; resolved against `baseUrl`, http(s) only, at most {@link MAX_URL_LENGTH} long.
 * `null` when the text is none of these.
 */
export function parseSitemap(text: string, baseUrl: string): { kind: SitemapKind; locs: string[] } | null {
  const body = text.replace(/^\uFEFF/, '');
  const root = /<(?:([A-Za-z_][\w.-]*):)?(urlset|sitemapindex)[\s>/]/.exec(body);
  if (!root) {
    if (/^\s*</.test(body)) return null;
    const locs = body
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => /^https?:\/\//i.test(line))
      .map((line) => absolute(line, baseUrl))
      .filter((u): u is string => u !== null);
    return locs.length ? { kind: 'text', locs } : null;
  }
  const prefix = root[1] ? `${root[1]}:` : '';
  const kind = root[2] as 'urlset' | 'sitemapindex';
  const tag = `${escapeRegExp(prefix)}loc`;
  // Each `<loc>` to the first `</loc>` after it, in one pass. One regex for both scanned the rest of the
  // file from every `<loc>` a hostile file leaves unclosed: quadratic in the file (1.6 MB took 6 s).
  const open = new RegExp(`<${tag}(?:\\s[^<>]{0,200})?>`, 'g');
  const close = new RegExp(`</${tag}\\s*>`, 'g');
  const locs: string[] = [];
  open.lastIndex = root.index;
  for (let m = open.exec(body); m; m = open.exec(body)) {
    close.lastIndex = open.lastIndex;
    const end = close.exec(body);
    if (!end) break; // no `</loc>` after this one: none after a later one either
    const url = absolute(decodeXmlText(body.slice(open.lastIndex, end.index)), baseUrl);
    if (url) locs.push(url);
    open.lastIndex = close.lastIndex;
  }
  return { kind, locs };
}

/** Text of a sitemap body: gunzipped (capped) when it starts with the gzip magic bytes, then UTF-8. */
async function decodeBody(
  body: Buffer,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean; error?: string }> {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    const out = await gunzipCapped(body, maxBytes);
    return {
      text: out.data.toString('utf8'),
      truncated: out.truncated,
      ...(out.error ? { error: out.error } : {}),
    };
  }
  const truncated = body.length > maxBytes;
  return { text: (truncated ? body.subarray(0, maxBytes) : body).toString('utf8'), truncated };
}

/**
 * Gunzips at most `cap` bytes, stopping the inflater as soon as the cap is reached (a gzip bomb
 * costs `cap` bytes, not its full size). A corrupt or cut-off stream keeps what was inflated.
 */
function gunzipCapped(
  input: Buffer,
  cap: number,
): Promise<{ data: Buffer; truncated: boolean; error?: string }> {
  return new Promise((resolve) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (truncated: boolean, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ data: Buffer.concat(chunks, size), truncated, ...(error ? { error } : {}) });
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      const take = Math.min(chunk.length, cap - size);
      chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      size += take;
      if (size >= cap) {
        settle(true);
        gunzip.destroy();
      }
    });
    gunzip.on('end', () => settle(false));
    gunzip.on('error', (err) => settle(false, `gzip: ${err.message}`));
    gunzip.end(input);
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXmlText(raw: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(raw);
  if (cdata) return (cdata[1] ?? '').trim();
  return raw.trim().replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** An absolute http(s) URL (fragment dropped), or null. */
function absolute(raw: string, base: string | undefined): string | null {
  if (!raw || raw.length > MAX_URL_LENGTH) return null;
  if (!URL.canParse(raw, base)) return null;
  const u = new URL(raw, base);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  u.hash = '';
  return u.href;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
