/**
 * The review app's only way to build HTML. Every interpolated value is escaped unless it is already
 * `SafeHtml` (built by this module). Crawled strings are hostile: they only ever reach a page through `esc`.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Unicode's bidirectional controls (embeddings, overrides, isolates): invisible, they reorder the text
 * after them, so a crawled `bc1q…\u202E…` would show an analyst characters in another order than the
 * page holds (the "Trojan Source" trick). Shown as their code point instead.
 */
const ESCAPED = /[&<>"'`\u202A-\u202E\u2066-\u2069]/g;

/** Escapes text for element content and quoted attribute values; bidirectional controls become visible. */
export function esc(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(
    ESCAPED,
    (ch) => ESCAPES[ch] ?? `[U+${ch.codePointAt(0)!.toString(16).toUpperCase()}]`,
  );
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  if (part === false || part === null || part === undefined) return '';
  return esc(part);
}

/** Tagged template: `html\`<td>${title}</td>\`` escapes `title`; nested `html` and arrays of it pass through. */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Joins pieces of HTML. */
export function join(parts: readonly Part[], sep = ''): SafeHtml {
  return new SafeHtml(parts.map(render).join(sep));
}

export interface HighlightSpan {
  span: [number, number];
  /** CSS class of the `<mark>`: `pos` (evidence for a lead) or `neg` (negative context). */
  kind: 'pos' | 'neg';
  /** Tooltip: the canonical term and group. */
  label: string;
}

/**
 * The text with each span wrapped in `<mark>`: the text is cut into segments at span edges and every
 * segment escaped. Spans outside the text or empty are dropped (never trusted); overlapping spans are
 * merged into one mark that names every term (a handle `@kristal_shop` and the `kristal` inside it).
 */
export function highlight(text: string, spans: readonly HighlightSpan[]): { html: SafeHtml; marked: number } {
  const valid = spans
    .filter(
      (s) =>
        Number.isInteger(s.span[0]) &&
        Number.isInteger(s.span[1]) &&
        s.span[0] >= 0 &&
        s.span[1] > s.span[0] &&
        s.span[1] <= text.length,
    )
    .sort((a, b) => a.span[0] - b.span[0] || b.span[1] - a.span[1]);
  const merged: Array<{ start: number; end: number; kind: HighlightSpan['kind']; labels: string[] }> = [];
  for (const s of valid) {
    const last = merged.at(-1);
    if (last && s.span[0] < last.end) {
      last.end = Math.max(last.end, s.span[1]);
      if (s.kind === 'pos') last.kind = 'pos';
      if (!last.labels.includes(s.label)) last.labels.push(s.label);
    } else merged.push({ start: s.span[0], end: s.span[1], kind: s.kind, labels: [s.label] });
  }
  const parts: SafeHtml[] = [];
  let at = 0;
  for (const m of merged) {
    parts.push(html`${text.slice(at, m.start)}`);
    parts.push(
      html`<mark class="${m.kind}" title="${m.labels.join('; ')}">${text.slice(m.start, m.end)}</mark>`,
    );
    at = m.end;
  }
  parts.push(html`${text.slice(at)}`);
  return { html: join(parts), marked: valid.length };
}
