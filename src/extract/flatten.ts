/**
 * Bounding the nesting of hostile HTML before it is parsed. Both parse5 and htmlparser2 slow down
 * quadratically with nesting depth (100,000 nested `<div>`s take minutes, blocking the worker), and a
 * deep tree overflows recursive tree walks. Chromium stops nesting at 512 levels; we do the same on
 * the markup: start tags deeper than {@link MAX_DEPTH} are dropped (links are kept, closed at once), so
 * their content follows as siblings. Text and links are kept; the deep elements themselves are lost.
 */

/** Element nesting kept; deeper elements are flattened. */
export const MAX_DEPTH = 512;

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/** Elements whose content is not markup: skipped to their end tag. */
const RAW = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'noembed', 'noframes', 'plaintext']);
/** Elements a sibling of the same kind closes implicitly (`<p>a<p>b`, `<li>`, table cells...). */
const IMPLIED = new Set(['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'optgroup', 'rb', 'rt', 'rp']);
/** Elements kept (closed at once) past the depth cap: they carry the links. */
const LINKS = new Set(['a', 'area']);
/** How far down the open elements an end tag (or an implied close) is matched. */
const MATCH_WINDOW = 64;

/** A start or end tag. No `<` inside (so a stray `<` never makes a scan run on to the end: linear time). */
const TAG = /<(\/?)([a-zA-Z][^\s/<>]*)(?:[\s/][^<>]*)?>/g;

/** `html` unchanged when its elements nest at most `maxDepth` deep, else with the deeper start tags closed at once. */
export function flattenDeep(html: string, maxDepth = MAX_DEPTH): string {
  return scan(html, maxDepth, false) === null ? html : (scan(html, maxDepth, true) ?? html);
}

/** Null when the nesting stays within `maxDepth`; else '' (a first pass) or, with `rewrite`, the flattened markup. */
function scan(html: string, maxDepth: number, rewrite: boolean): string | null {
  const stack: string[] = [];
  const out: string[] = [];
  let copied = 0;
  let deep = false;
  const re = new RegExp(TAG.source, 'g');
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const name = (m[2] ?? '').toLowerCase();
    const end = re.lastIndex;
    if (m[1] === '/') {
      const at = findOpen(stack, name);
      if (at >= 0) stack.length = at;
      else if (rewrite) {
        // an end tag of an element we flattened (or never saw): drop it
        out.push(html.slice(copied, m.index));
        copied = end;
      }
      continue;
    }
    if (RAW.has(name)) {
      const close = new RegExp(`</${name}`, 'ig');
      close.lastIndex = end;
      re.lastIndex = close.exec(html)?.index ?? html.length;
      if (name === 'plaintext') break;
      continue;
    }
    if (VOID.has(name) || m[0].endsWith('/>')) continue;
    if (IMPLIED.has(name)) {
      const at = findOpen(stack, name);
      if (at >= 0) stack.length = at;
    }
    if (stack.length < maxDepth) {
      stack.push(name);
      continue;
    }
    if (!rewrite) return '';
    deep = true;
    // Past the cap only links are kept (closed at once); other start tags go, their text stays.
    out.push(html.slice(copied, LINKS.has(name) ? end : m.index));
    if (LINKS.has(name)) out.push(`</${name}>`);
    copied = end;
  }
  if (!rewrite) return null;
  if (!deep) return null;
  out.push(html.slice(copied));
  return out.join('');
}

function findOpen(stack: string[], name: string): number {
  for (let i = stack.length - 1; i >= 0 && i >= stack.length - MATCH_WINDOW; i--) {
    if (stack[i] === name) return i;
  }
  return -1;
}
