import { describe, expect, it } from 'vitest';
import { esc, highlight, html } from '../../../src/review/html.ts';

describe('html escaping', () => {
  it('escapes every interpolation, and only SafeHtml passes through', () => {
    const hostile = `<img src=x onerror="alert(1)">'&\``;
    expect(html`<td title="${hostile}">${hostile}</td>`.value).toBe(
      '<td title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;&#96;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;&#96;</td>',
    );
    expect(html`<p>${html`<b>${'<i>'}</b>`}</p>`.value).toBe('<p><b>&lt;i&gt;</b></p>');
    expect(html`${['<a>', html`<br>`]}`.value).toBe('&lt;a&gt;<br>');
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
    expect(esc('a"b')).toBe('a&quot;b');
  });

  it('highlights spans over escaped segments and drops bad spans', () => {
    const text = 'buy <script>x</script> мефедрон now';
    const { html: out, marked } = highlight(text, [
      { span: [4, 12], kind: 'pos', label: '<b>' },
      { span: [23, 31], kind: 'neg', label: 't' },
      { span: [5, 9], kind: 'pos', label: 'overlaps' },
      { span: [30, 99], kind: 'pos', label: 'past the end' },
      { span: [-1, 2], kind: 'pos', label: 'negative' },
      { span: [3, 3], kind: 'pos', label: 'empty' },
    ]);
    expect(marked).toBe(3);
    expect(out.value).toBe(
      'buy <mark class="pos" title="&lt;b&gt;; overlaps">&lt;script&gt;</mark>x&lt;/script&gt; <mark class="neg" title="t">мефедрон</mark> now',
    );
  });
});

describe('bidirectional controls in crawled text', () => {
  it('are shown by code point, so an override cannot reorder what the analyst reads', () => {
    const wallet = 'bc1qexample\u202Eelpmaxe';
    expect(esc(wallet)).toBe('bc1qexample[U+202E]elpmaxe');
    expect(html`<td title="${'\u2067x\u2069'}">${'a\u202Ab\u202Cc'}</td>`.value).toBe(
      '<td title="[U+2067]x[U+2069]">a[U+202A]b[U+202C]c</td>',
    );
    // Highlighted text keeps its marks where they were: spans index the text, segments are escaped after.
    const text = 'меф\u202Eедрон 1г';
    expect(highlight(text, [{ span: [0, 3], kind: 'pos', label: 'mephedrone' }]).html.value).toBe(
      '<mark class="pos" title="mephedrone">меф</mark>[U+202E]едрон 1г',
    );
    // Right-to-left scripts themselves are untouched.
    expect(esc('שלום مرحبا')).toBe('שלום مرحبا');
  });
});
