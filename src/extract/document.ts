import { load } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { textContent } from 'domutils';
import type { SiteConfig } from '../config/index.ts';
import { flattenDeep } from './flatten.ts';
import { extractIdentifiers, extractPageIdentifiers } from './identifiers/index.ts';
import type { Document, Identifier, ListingFields } from './types.ts';

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
/**
 * Inline elements that only format a word: two of them side by side (`<b>меф</b><i>едрон</i>`) are
 * one word. Any other pair of adjacent elements (`<a>…</a><a>…</a>`) gets a space between their
 * texts, so the footer's `support@shop.invalid` link and the `Telegram` link after it stay apart.
 */
const FORMATTING = new Set([
  'b',
  'i',
  'u',
  's',
  'em',
  'strong',
  'span',
  'font',
  'small',
  'big',
  'sub',
  'sup',
  'mark',
  'ins',
  'del',
  'strike',
  'tt',
  'code',
  'abbr',
  'wbr',
]);
/**
 * Words of a `class` or `id` that mark reviews and comments: what buyers write under a listing, whose
 * identifiers are theirs, not the seller's. (Mozilla's Readability drops `comment` blocks from an
 * article for the same reason.) Not `reply` or `post`: a forum's posts are its sellers' ads.
 */
const QUOTED_WORDS = new Set([
  'review',
  'reviews',
  'comment',
  'comments',
  'feedback',
  'feedbacks',
  'testimonial',
  'testimonials',
  'otzyv',
  'otzyvy',
  'otziv',
  'otzivy',
]);
/** A part of every word of {@link QUOTED_WORDS}: most classes and ids hold none, and are not split. */
const QUOTED_PART = /review|comment|feedback|testimonial|otz[iy]v/i;
const QUOTED_ITEMPROP = /(?:^|\s)(?:review|comment)(?:\s|$)/i;
const QUOTED_ITEMTYPE = /schema\.org\/(?:Review|Comment|UserComments)\b/i;

/** Whether an element holds reviews or comments (see {@link QUOTED_WORDS}). */
function holdsQuotes(attribs: Record<string, string>): boolean {
  if (attribs.itemprop !== undefined && QUOTED_ITEMPROP.test(attribs.itemprop)) return true;
  if (attribs.itemtype !== undefined && QUOTED_ITEMTYPE.test(attribs.itemtype)) return true;
  for (const value of [attribs.class, attribs.id])
    if (value && QUOTED_PART.test(value))
      for (const word of value.toLowerCase().split(/[^a-z0-9]+/)) if (QUOTED_WORDS.has(word)) return true;
  return false;
}

/** Text kept per page at most (characters); the rest of a giant page adds nothing a reviewer reads. */
export const MAX_TEXT_CHARS = 200_000;
/** Links kept per page at most, unless the site's `maxLinks` says otherwise. */
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
  /** Links kept at most (the site's `maxLinks`); the others are counted in `linksOverCap`. Default {@link MAX_LINKS}. */
  maxLinks?: number | undefined;
}

/**
 * Parses a fetched HTML page into a `Document`: title, visible text, links, listing fields, identifiers.
 * The markup is parsed by htmlparser2, as Crawlee's CheerioCrawler does, not by a browser-exact parser
 * (parse5): 5x faster and a fraction of the garbage, and the parse was the largest cost of a crawled
 * page. What it does not do is repair markup the way a browser does: no implied `<tbody>`, `<html>` or
 * `<body>`, no moving stray table content. Listing selectors see the page as served, so they should
 * not step through elements only a browser adds (`table tr`, not `table > tbody > tr`).
 */
export function parseHtml(input: ParseInput): Document {
  const $ = load(flattenDeep(input.html), { xml: { xmlMode: false } });
  const maxLinks = input.maxLinks ?? MAX_LINKS;
  // Link targets read at most, before resolving and de-duplicating them; the rest are only counted.
  const page = walk($.root()[0], 4 * maxLinks);
  const base = baseUrl(page.baseHref, input.finalUrl);
  const fullText = collapse(page.text.join(''));
  const text = fullText.slice(0, MAX_TEXT_CHARS);
  // The first of these with more than whitespace.
  const title = (
    clean(page.title ? textContent(page.title) : '') ||
    clean(page.ogTitle ?? '') ||
    clean(page.h1 ? textContent(page.h1) : '')
  ).slice(0, MAX_TITLE_CHARS);

  const links: string[] = [];
  const seen = new Set<string>();
  for (const href of [...page.hrefs, ...page.refreshes]) {
    const abs = absolute(href, base);
    if (abs && !seen.has(abs)) {
      seen.add(abs);
      if (links.length < maxLinks) links.push(abs);
    }
  }
  const linksOverCap = seen.size - links.length + page.hrefsNotRead;

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

  const lang = (page.lang ?? input.contentLanguage ?? '').split(/[,;]/)[0]?.trim().toLowerCase() || null;
  return {
    url: input.url,
    finalUrl: input.finalUrl,
    siteId: input.siteId,
    title,
    text,
    links,
    listing,
    identifiers: markQuoted(extractPageIdentifiers(text, page.hrefs), page),
    lang,
    linksOverCap,
    textCut: page.textCut || fullText.length > MAX_TEXT_CHARS,
  };
}

/**
 * Marks the identifiers the page shows only inside reviews and comments (`Identifier.quoted`): those
 * not found again in the text and links outside them.
 */
function markQuoted(identifiers: Identifier[], page: PageParts): Identifier[] {
  if (page.own === null || identifiers.length === 0) return identifiers;
  const key = (i: Identifier) => `${i.type}\u0000${i.value}`;
  // Reviews mostly name nobody (`a***b`): then the page's own text need not be read again.
  const inQuotes = new Set(extractPageIdentifiers(collapse(page.quoted.join('')), page.quotedHrefs).map(key));
  if (!identifiers.some((i) => inQuotes.has(key(i)))) return identifiers;
  const ownText = collapse(page.own.join('')).slice(0, MAX_TEXT_CHARS);
  const own = new Set(extractPageIdentifiers(ownText, page.ownHrefs).map(key));
  return identifiers.map((i) => (!inQuotes.has(key(i)) || own.has(key(i)) ? i : { ...i, quoted: true }));
}

/** What one pass over a parsed page collects. */
interface PageParts {
  /** Visible text in document order, '\n' between blocks; stops growing past {@link MAX_TEXT_CHARS}. */
  text: string[];
  /**
   * Once the page has a review or comment block: its text outside such blocks, '\n' where one was
   * (else null, and `text` is all the page's own).
   */
  own: string[] | null;
  /** `href`s of `<a>` and `<area>`, in document order, up to the walk's `maxHrefs`. */
  hrefs: string[];
  /** With `own`: the `href`s outside review and comment blocks. */
  ownHrefs: string[];
  /** The text inside review and comment blocks, '\n' between blocks, and their `href`s. */
  quoted: string[];
  quotedHrefs: string[];
  /** `href`s past `maxHrefs`: counted, not read. */
  hrefsNotRead: number;
  /** True when there was more text than {@link MAX_TEXT_CHARS}. */
  textCut: boolean;
  /** `url=` of each `<meta http-equiv=refresh>`. */
  refreshes: string[];
  title: Element | null;
  /** The first `<meta property=og:title>`: its `content`, if any. */
  ogTitle: string | undefined | null;
  h1: Element | null;
  baseHref: string | undefined;
  lang: string | undefined;
}

/** Ends a skipped element on the walk's stack. */
const END_SKIP = Symbol('end-skip');
/** Ends a review or comment block on the walk's stack. */
const END_QUOTE = Symbol('end-quote');

/**
 * One depth-first pass (an explicit stack: hostile pages nest deeply) over the whole tree, collecting
 * what `$('title')`, `$('a[href], area[href]')` and the like would find, in document order. Text is
 * not taken from inside {@link SKIP} elements, but their links and titles are.
 */
function walk(root: AnyNode | undefined, maxHrefs: number): PageParts {
  const parts: PageParts = {
    text: [],
    own: null,
    hrefs: [],
    ownHrefs: [],
    quoted: [],
    quotedHrefs: [],
    hrefsNotRead: 0,
    textCut: false,
    refreshes: [],
    title: null,
    ogTitle: null,
    h1: null,
    baseHref: undefined,
    lang: undefined,
  };
  let size = 0;
  let skipping = 0;
  let quoting = 0;
  let html = false;
  /** Adds to the text, and to the page's own text outside reviews and comments. */
  const push = (s: string) => {
    parts.text.push(s);
    if (parts.own === null) return;
    if (quoting === 0) parts.own.push(s);
    else parts.quoted.push(s);
  };
  const stack: (AnyNode | '\n' | typeof END_SKIP | typeof END_QUOTE)[] = root ? [root] : [];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) break;
    if (node === END_SKIP) {
      skipping--;
      continue;
    }
    if (node === END_QUOTE) {
      quoting--;
      continue;
    }
    if (node === '\n') {
      if (size <= MAX_TEXT_CHARS) push(node);
      continue;
    }
    if (node.type === 'text') {
      if (skipping === 0 && size <= MAX_TEXT_CHARS) {
        push(node.data);
        size += node.data.length;
      } else if (skipping === 0 && node.data.trim()) parts.textCut = true;
      continue;
    }
    if (node.type !== 'tag' && node.type !== 'root' && node.type !== 'script' && node.type !== 'style')
      continue;
    if (node.type !== 'root') {
      const { name, attribs } = node;
      switch (name) {
        case 'a':
        case 'area':
          if (attribs.href === undefined) break;
          if (parts.hrefs.length < maxHrefs) {
            parts.hrefs.push(attribs.href);
            if (parts.own !== null) (quoting === 0 ? parts.ownHrefs : parts.quotedHrefs).push(attribs.href);
          } else parts.hrefsNotRead++;
          break;
        case 'meta':
          if (attribs.property === 'og:title' && parts.ogTitle === null) parts.ogTitle = attribs.content;
          if (attribs['http-equiv']?.toLowerCase() === 'refresh') {
            const m = /url\s*=\s*['"]?([^'"]+)/i.exec(attribs.content ?? '');
            if (m?.[1] !== undefined && parts.refreshes.length < maxHrefs) parts.refreshes.push(m[1]);
          }
          break;
        case 'title':
          parts.title ??= node;
          break;
        case 'h1':
          parts.h1 ??= node;
          break;
        case 'base':
          if (attribs.href !== undefined) parts.baseHref ??= attribs.href;
          break;
        case 'html':
          if (!html) {
            html = true;
            parts.lang = attribs.lang;
          }
          break;
      }
      if (skipping === 0 && size <= MAX_TEXT_CHARS && needsSpace(node, parts.text)) push(' ');
      if (skipping === 0 && holdsQuotes(attribs)) {
        if (parts.own === null) {
          parts.own = [...parts.text];
          parts.ownHrefs = [...parts.hrefs];
        }
        // What stands before and after the block must not run together in the page's own text, nor
        // two blocks in the quoted text.
        if (quoting === 0) {
          parts.own.push('\n');
          parts.quoted.push('\n');
        }
        quoting++;
        stack.push(END_QUOTE);
      }
      if (SKIP.has(name)) {
        skipping++;
        stack.push(END_SKIP);
      } else if (BLOCK.has(name) && skipping === 0) {
        if (size <= MAX_TEXT_CHARS) push('\n');
        stack.push('\n');
      }
    }
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child) stack.push(child);
    }
  }
  return parts;
}

/**
 * True when `el` directly follows another element (comments between do not count) that is not a
 * formatting pair with it, and the text so far does not already end in whitespace.
 */
function needsSpace(el: Element, text: string[]): boolean {
  let prev = el.prev;
  while (prev && prev.type === 'comment') prev = prev.prev;
  if (!prev || (prev.type !== 'tag' && prev.type !== 'script' && prev.type !== 'style')) return false;
  if (FORMATTING.has(el.name) && FORMATTING.has((prev as Element).name)) return false;
  const last = text.at(-1);
  return last !== undefined && last.length > 0 && !/\s$/.test(last);
}

/** A plain-text page becomes a Document too (no links, no listing). */
export function parseText(input: Omit<ParseInput, 'html' | 'listing'> & { text: string }): Document {
  const fullText = collapse(input.text);
  const text = fullText.slice(0, MAX_TEXT_CHARS);
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
    textCut: fullText.length > MAX_TEXT_CHARS,
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

/**
 * A run of blanks (space, tab, form feed, vertical tab, CR, no-break space), line feeds and NULs that
 * `collapse` changes: any but a lone space or a lone line feed.
 */
const CHANGED_RUN = /(?:[\t\v\f\r\u00a0\0]|[ \n](?=[\t\v\f\r\u00a0\0 \n]))[\t\v\f\r\u00a0\0 \n]*/g;

/**
 * A page's text as a reader sees it: NULs dropped, each run of blanks one space, each run of blanks
 * and line feeds holding a line feed one line feed, trimmed. One pattern finds only the runs it changes
 * (a page's single spaces and line feeds stay as they are): the three replaces it stands for matched
 * every single space of a page and allocated about 140 KB a page, and a loop over the characters took
 * twice as long as this.
 */
export function collapse(s: string): string {
  return s.replace(CHANGED_RUN, collapsedRun).trim();
}

function collapsedRun(run: string): string {
  if (run.includes('\n')) return '\n';
  for (let i = 0; i < run.length; i++) if (run.charCodeAt(i) !== 0) return ' ';
  return '';
}
