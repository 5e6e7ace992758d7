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

const SCRIPT = /<script\b/i;
const APP_ROOT =
  /<(?:div|main|section|body)\b[^>]*\bid\s*=\s*["']?(?:root|app|__next|__nuxt|___gatsby|svelte|main-app|react-root|ember-app)\b/i;
const FRAMEWORK_MARKER = /\b(?:__NEXT_DATA__|__NUXT__|ng-version|data-reactroot|data-server-rendered)\b/i;
const NOSCRIPT_JS =
  /<noscript\b[^>]*>[\s\S]{0,2000}?(?:javascript|\bjs\b|включите|включить|启用|開啟|开启)[\s\S]{0,2000}?<\/noscript>/i;

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
  const tags = html.match(/<script\b[^>]*>/gi) ?? [];
  return tags.some((tag) => {
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(tag)?.[1]?.toLowerCase();
    return (
      type === undefined || type === 'module' || type.includes('javascript') || type.includes('ecmascript')
    );
  });
}
