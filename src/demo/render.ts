/**
 * HTML templates of the demo market. All text goes through {@link escapeHtml}; attributes are
 * double-quoted and escaped too.
 */
import { type Block, type PageModel, SITE_NAME } from './site.ts';
import type { ContentSpec } from './types.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

function paragraphs(items: string[]): string {
  return items.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
}

function renderListing(spec: ContentSpec): string {
  const f = spec.listing;
  if (!f) return '';
  return [
    '<article class="listing">',
    `<h1 class="title">${escapeHtml(spec.title)}</h1>`,
    `<p class="meta">№${f.adId} · <span class="city">${escapeHtml(f.city)}</span></p>`,
    `<p class="price-line"><span class="price">${escapeHtml(f.price)}</span> <span class="currency">${escapeHtml(f.currency)}</span></p>`,
    `<p class="seller-line"><a class="seller">${escapeHtml(f.seller)}</a></p>`,
    `<div class="description">\n${paragraphs(spec.paragraphs)}\n</div>`,
    '</article>',
  ].join('\n');
}

function renderArticle(spec: ContentSpec): string {
  const date = spec.date ? `<time datetime="${escapeHtml(spec.date)}">${escapeHtml(spec.date)}</time>\n` : '';
  return [
    '<article class="post">',
    `<h1>${escapeHtml(spec.title)}</h1>`,
    `${date}<div class="body">\n${paragraphs(spec.paragraphs)}\n</div>`,
    '</article>',
  ].join('\n');
}

function renderBlock(block: Block): string {
  switch (block.type) {
    case 'paragraphs': {
      const heading = block.heading ? `<h2>${escapeHtml(block.heading)}</h2>\n` : '';
      return `<section>\n${heading}${paragraphs(block.items)}\n</section>`;
    }
    case 'links': {
      const items = block.links
        .map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`)
        .join('\n');
      if (block.heading === '') return `<nav>\n<ul>\n${items}\n</ul>\n</nav>`;
      return `<section>\n<h2>${escapeHtml(block.heading)}</h2>\n<ul>\n${items}\n</ul>\n</section>`;
    }
    case 'listing':
      return renderListing(block.spec);
    case 'article':
      return renderArticle(block.spec);
  }
}

/** A full HTML document for a page model. */
export function renderPage(model: PageModel): string {
  const hasH1 = model.blocks.some((b) => b.type === 'listing' || b.type === 'article');
  return [
    '<!doctype html>',
    `<html lang="${escapeHtml(model.lang)}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(model.title)}</title>`,
    '</head>',
    '<body>',
    `<header><p class="site">${escapeHtml(SITE_NAME)}</p></header>`,
    '<main>',
    ...(hasH1 ? [] : [`<h1>${escapeHtml(model.title)}</h1>`]),
    ...model.blocks.map(renderBlock),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The 404 page. */
export function renderNotFound(): string {
  return renderPage({
    path: '',
    kind: 'index',
    lang: 'ru',
    title: 'Страница не найдена',
    blocks: [{ type: 'links', heading: '', links: [{ href: '/', text: 'На главную' }] }],
  });
}

/** `/robots.txt`: everything allowed, sitemap announced. */
export function renderRobots(baseUrl: string): string {
  return `User-agent: *\nAllow: /\n\nSitemap: ${baseUrl}sitemap.xml\n`;
}

/** `/sitemap.xml` listing the given paths under `baseUrl` (which ends with `/`). */
export function renderSitemap(baseUrl: string, paths: string[]): string {
  const urls = paths.map((p) => `  <url><loc>${escapeHtml(new URL(p, baseUrl).href)}</loc></url>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ...urls,
    '</urlset>',
    '',
  ].join('\n');
}
