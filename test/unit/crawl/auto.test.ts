import { describe, expect, it } from 'vitest';
import { needsBrowser, roughText } from '../../../src/crawl/browser/auto.ts';
import { rng } from '../../../src/classify/model/train.ts';

const prose = 'Магазин закладок: мефедрон 1 г, доставка по городу, оплата USDT TRC20. '.repeat(8);

describe('needsBrowser (auto render mode)', () => {
  it('a React/Vue shell with an empty root needs the browser', () => {
    const html = '<html><body><div id="root"></div><script src="/static/js/main.js"></script></body></html>';
    expect(needsBrowser(html, '')).toBe(true);
    expect(
      needsBrowser('<body><div id="app"></div><script type="module" src="/a.js"></script></body>', ''),
    ).toBe(true);
  });

  it('a Next.js shell with little text needs the browser', () => {
    const html =
      '<body><div id="__next"><p>Loading…</p></div><script id="__NEXT_DATA__" type="application/json">{}</script><script src="/_next/main.js"></script></body>';
    expect(needsBrowser(html, 'Loading…')).toBe(true);
  });

  it('a <noscript> asking for JavaScript counts, in Russian too', () => {
    expect(
      needsBrowser(
        '<body><noscript>You need to enable JavaScript to run this app.</noscript></body>',
        'You need to enable JavaScript to run this app.',
      ),
    ).toBe(true);
    expect(
      needsBrowser(
        '<body><noscript>Включите JavaScript</noscript><script src="/app.js"></script></body>',
        'Включите JavaScript',
      ),
    ).toBe(true);
  });

  it('any executable script with almost no text counts', () => {
    expect(needsBrowser('<body><span>Shop</span><script>render()</script></body>', 'Shop')).toBe(true);
  });

  it('a server-rendered page with plenty of text does not', () => {
    const html = `<body><div id="root"><p>${prose}</p></div><script src="/hydrate.js"></script></body>`;
    expect(needsBrowser(html, prose)).toBe(false);
  });

  it('a short static page without scripts does not', () => {
    expect(needsBrowser('<body><h1>Not found</h1></body>', 'Not found')).toBe(false);
    expect(needsBrowser('', '')).toBe(false);
  });

  it('data-only scripts (JSON-LD, templates) do not make a page a shell', () => {
    const html =
      '<body><h1>Contacts</h1><script type="application/ld+json">{"@type":"Organization"}</script></body>';
    expect(needsBrowser(html, 'Contacts')).toBe(false);
  });

  it('whitespace does not count as text', () => {
    const html = '<body><main id="app">   \n\n   </main><script src="/app.js"></script></body>';
    expect(needsBrowser(html, '   \n\n\t   ')).toBe(true);
  });
});

describe('roughText and needsBrowser on hostile pages', () => {
  // What roughText replaced: one regex, quadratic on unclosed elements and on `<` without `>`.
  const byRegex = (html: string) =>
    html.replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1>|<[^>]+>/gi, ' ');

  it('gives the text the regex gave, on 5,000 random pages of tags, text and stray brackets', () => {
    const parts = [
      '<script>',
      '</script>',
      '<style a="1">',
      '</STYLE>',
      '<noscript>',
      '</noscript>',
      '<Template>',
      '</template>',
      '<scripts>',
      '<div id=root>',
      '</div>',
      '<',
      '>',
      '<>',
      'a',
      'мф ',
      ' ',
      '\n',
    ];
    const random = rng(7);
    const next = () => Math.floor(random() * 0x7fffffff);
    for (let n = 0; n < 5000; n++) {
      const html = Array.from({ length: next() % 40 }, () => parts[next() % parts.length]).join('');
      expect(roughText(html), html).toBe(byRegex(html));
    }
  });

  it('a page of unclosed tags is read in one pass', () => {
    const started = performance.now();
    for (const unit of ['<div ', '<noscript ', '<script a', '<script>x', '<a']) {
      const html = unit.repeat(1_000_000 / unit.length);
      needsBrowser(html, roughText(html));
    }
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
