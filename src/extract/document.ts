import { load } from 'cheerio';
import type { AnyNode } from 'domhandler';
import type { SiteConfig } from '../config/index.ts';
import { flattenDeep } from './flatten.ts';
import { extractIdentifiers } from './identifiers/index.ts';
import type { Document, ListingFields } from './types.ts';

/** Elements whose content is never visible text. */
const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'canvas',
  'iframe',
  'object',
  'head',
]);
/** Elements that break a line, so words of neighbouring blocks don't run together. */
const BLOCK = new Set([
  'p',
  'div',
  'br',
  'li',
  'ul',
  'ol',
  'tr',
  'td',
  'th',
  'table',
  'section',
  'article',
  'header',
  'footer',
  'nav',
  'aside',
  'main',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'pre',
  'blockquote',
  'form',
  'option',
  'dd',
  'dt',
  'hr',
]);
/** Text kept per page at most (characters); the rest of a giant page adds nothing a reviewer reads. */
export const MAX_TEXT_CHARS = 200_000;
/** Links kept per page at most. */
export const MAX_LINKS = 5_000;
/** Title kept at most (characters). */
export const MAX_TITLE_CHARS = 1_000;
/**
 * Longest link kept (characters, absolute). Longer ones are dropped, and a longer `<base href>` is
 * ignored: resolved against a huge base, every relative link of a page would be that huge.
 */
export const MAX_URL_CHARS = 8_192;

export interface ParseInput {
  html: string;
  url: string;
  finalUrl: string;
  siteId: string;
  /** The `content-language` response header, if any. */
  contentLanguage?: string | undefined;
  listing?: SiteConfig['listing'];
}

/** Parses a fetched HTML page into a `Document`: title, visible text, links, listing fields, identifiers. */
export function parseHtml(input: ParseInput): Document {
  const $ = load(flattenDeep(input.html), { scriptingEnabled: false });
  const base = baseUrl($('base[href]').attr('href'), input.finalUrl);

  const parts: string[] = [];
  let size = 0;
  // Depth-first with an explicit stack (hostile pages nest deeply); '\n' entries close block elements.
  const stack: (AnyNode | '\n')[] = $.root().children().toArray().reverse();
  while (stack.length > 0 && size <= MAX_TEXT_CHARS) {
    const node = stack.pop();
    if (node === undefined) break;
    if (node === '\n') {
      parts.push(node);
    } else if (node.type === 'text') {
      parts.push(node.data);
      size += node.data.length;
    } else if (node.type === 'tag' || node.type === 'root') {
      const name = 'name' in node ? node.name : '';
      if (SKIP.has(name)) continue;
      const block = BLOCK.has(name);
      if (block) {
        parts.push('\n');
        stack.push('\n');
      }
      for (let i = node.children.length - 1; i >= 0; i--) {
        const child = node.children[i];
        if (child) stack.push(child);
      }
    }
  }
  const text = collapse(parts.join('')).slice(0, MAX_TEXT_CHARS);

  const title = clean(
    $('title').first().text() || $('meta[property="og:title"]').attr('content') || $('h1').first().text(),
  ).slice(0, MAX_TITLE_CHARS);

  const links: string[] = [];
  const seen = new Set<string>();
  const add = (href: string | undefined) => {
    const abs = absolute(href, base);
    if (abs && !seen.has(abs) && links.length < MAX_LINKS) {
      seen.add(abs);
      links.push(abs);
    }
  };
  $('a[href], area[href]').each((_, el) => add($(el).attr('href')));
  $('meta[http-equiv]').each((_, el) => {
    if ($(el).attr('http-equiv')?.toLowerCase() !== 'refresh') return;
    const m = /url\s*=\s*['"]?([^'"]+)/i.exec($(el).attr('content') ?? '');
    if (m) add(m[1]);
  });

  let listing: ListingFields | null = null;
  const spec = input.listing;
  if (
    spec?.urlPattern &&
    (new RegExp(spec.urlPattern, 'u').test(input.finalUrl) ||
      new RegExp(spec.urlPattern, 'u').test(input.url))
  ) {
    listing = {};
    for (const [field, selector] of Object.entries(spec.selectors)) {
      if (!selector) continue;
      const value = clean($(selector).first().text());
      if (value) listing[field as keyof ListingFields] = value;
    }
  }

  const lang =
    ($('html').attr('lang') ?? input.contentLanguage ?? '').split(/[,;]/)[0]?.trim().toLowerCase() || null;
  return {
    url: input.url,
    finalUrl: input.finalUrl,
    siteId: input.siteId,
    title,
    text,
    links,
    listing,
    identifiers: extractIdentifiers(text),
    lang,
  };
}

/** A plain-text page becomes a Document too (no links, no listing). */
export function parseText(input: Omit<ParseInput, 'html' | 'listing'> & { text: string }): Document {
  const text = collapse(input.text).slice(0, MAX_TEXT_CHARS);
  return {
    url: input.url,
    finalUrl: input.finalUrl,
    siteId: input.siteId,
    title: text.slice(0, 80),
    text,
    links: [],
    listing: null,
    identifiers: extractIdentifiers(text),
    lang: input.contentLanguage?.split(/[,;]/)[0]?.trim().toLowerCase() || null,
  };
}

function baseUrl(href: string | undefined, pageUrl: string): string {
  return absolute(href, pageUrl) ?? pageUrl;
}

function absolute(href: string | undefined, base: string): string | null {
  if (!href || href.length > MAX_URL_CHARS) return null;
  try {
    const u = new URL(href.trim(), base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    u.hash = '';
    return u.href.length > MAX_URL_CHARS ? null : u.href;
  } catch {
    return null;
  }
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function collapse(s: string): string {
  return s
    .replaceAll('\0', '')
    .replace(/[ \t\f\v\u00a0\r]+/g, ' ')
    .replace(/ *\n[\n ]*/g, '\n')
    .trim();
}
