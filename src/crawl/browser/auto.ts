/**
 * The `auto` render mode's test: after an HTTP fetch, does this page need a browser? True for a
 * JavaScript shell: little visible text, and scripts that will build the page (an empty
 * application root such as `#root`, `#app`, `#__next`, `#__nuxt`, a `<noscript>` asking for
 * JavaScript, or at least a `<script>`).
 */

/** Visible text below this is "little" when the only sign of an app is a `<script>`. */
const LITTLE_TEXT = 200;
/** With a strong sign of an app shell (root div, noscript plea), a little more text is tolerated. */
const LITTLE_TEXT_STRONG = 400;

// A tag's attributes are read up to the next `<` or `>` and at most 2,000 characters: read to the next
// `>` alone, a hostile page of `<div ` without one was scanned to its end from every `<div` (5 MiB of it:
// about an hour).
const SCRIPT = /<script\b/i;
const APP_ROOT =
  /<(?:div|main|section|body)\b[^<>]{0,2000}?\bid\s*=\s*["']?(?:root|app|__next|__nuxt|___gatsby|svelte|main-app|react-root|ember-app)\b/i;
const FRAMEWORK_MARKER = /\b(?:__NEXT_DATA__|__NUXT__|ng-version|data-reactroot|data-server-rendered)\b/i;
const NOSCRIPT_JS =
  /<noscript\b[^<>]{0,2000}>[\s\S]{0,2000}?(?:javascript|\bjs\b|включите|включить|启用|開啟|开启)[\s\S]{0,2000}?<\/noscript>/i;
const SCRIPT_TAG = /<script\b[^<>]{0,2000}>/gi;

/**
 * `html`: the page as fetched over HTTP. `text`: its visible text (as extracted for the Document).
 */
export function needsBrowser(html: string, text: string): boolean {
  const visible = text.replace(/\s+/g, ' ').trim().length;
  if (visible >= LITTLE_TEXT_STRONG) return false;
  const strong = APP_ROOT.test(html) || NOSCRIPT_JS.test(html) || FRAMEWORK_MARKER.test(html);
  if (strong) return SCRIPT.test(html) || NOSCRIPT_JS.test(html);
  return visible < LITTLE_TEXT && SCRIPT.test(html) && hasExecutableScript(html);
}

/** A `<script>` that runs (not JSON-LD, templates or other data blocks). */
function hasExecutableScript(html: string): boolean {
  const tags = html.match(SCRIPT_TAG) ?? [];
  return tags.some((tag) => {
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(tag)?.[1]?.toLowerCase();
    return (
      type === undefined || type === 'module' || type.includes('javascript') || type.includes('ecmascript')
    );
  });
}

/** Elements whose content is no visible text, and the end tag of each. */
const RAW_ELEMENTS = ['script', 'style', 'noscript', 'template'];
const RAW_TEXT = new RegExp(`<(${RAW_ELEMENTS.join('|')})\\b`, 'iy');
const RAW_END = new Map(RAW_ELEMENTS.map((name) => [name, new RegExp(`</${name}>`, 'gi')]));

/**
 * Rough visible text of an HTML page, for `needsBrowser`: tags replaced by a space, and script, style,
 * noscript and template elements with their contents. One pass: an element left unclosed, or a `<`
 * with no `>` after it, is known to stay so for the rest of the page instead of being looked for again
 * from every later one (a regex doing this took minutes on a hostile page).
 */
export function roughText(html: string): string {
  const out: string[] = [];
  let copied = 0;
  const unclosed = new Set<string>();
  for (let i = html.indexOf('<'); i !== -1; i = html.indexOf('<', i)) {
    RAW_TEXT.lastIndex = i;
    const raw = RAW_TEXT.exec(html);
    const name = raw?.[1]?.toLowerCase();
    if (name && !unclosed.has(name)) {
      const end = RAW_END.get(name)!;
      end.lastIndex = RAW_TEXT.lastIndex;
      if (end.exec(html)) {
        out.push(html.slice(copied, i), ' ');
        i = copied = end.lastIndex;
        continue;
      }
      unclosed.add(name);
    }
    // A tag is `<`, at least one character, then `>`.
    if (html[i + 1] === '>') {
      i++;
      continue;
    }
    const gt = html.indexOf('>', i + 1);
    if (gt === -1) break; // no `>` after this `<`: the rest is text
    out.push(html.slice(copied, i), ' ');
    i = copied = gt + 1;
  }
  out.push(html.slice(copied));
  return out.join('');
}
