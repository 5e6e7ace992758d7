import type { Request } from 'playwright-core';
import { TransientError } from '../../errors.ts';
import type { FetchedPage } from '../types.ts';
import type { RenderOptions } from './options.ts';
import type { PageSession } from './page-session.ts';

/** The rendered document's HTML, cut at `max` characters inside the page. */
const readDom = (max: number) =>
  `(() => { const s = document.documentElement ? document.documentElement.outerHTML : ''; return s.length > ${max} ? { text: s.slice(0, ${max}), truncated: true } : { text: s, truncated: false }; })()`;

/** How long a page that navigated itself must stay put before its DOM is read. */
const CLIENT_NAVIGATION_QUIET_MS = 500;

/**
 * One render in a prepared page: navigate, wait as asked, scroll and click "load more", read the
 * DOM (and a screenshot), and describe it as a `FetchedPage` of the main document's response.
 */
export async function renderInPage(
  session: PageSession,
  url: string,
  opts: RenderOptions,
  started: number,
  deadline: number,
): Promise<FetchedPage> {
  const remaining = () => Math.max(1, deadline - Date.now());
  const page = session.page;
  page.setDefaultTimeout(remaining());
  const waitFor = opts.waitFor ?? 'load';
  const waitUntil = waitFor === 'load' || waitFor === 'networkidle' ? waitFor : 'domcontentloaded';
  const response = await page.goto(url, { waitUntil, timeout: remaining() });
  if (session.refusal) throw session.refusal;
  if (!response) throw new TransientError('browser', `${url}: no response for the main document`);
  if (typeof waitFor === 'object') {
    await session.waitForSelector(waitFor.selector, deadline);
  } else if (waitFor === 'load') {
    await session.settle(100, 2_000, deadline);
  }
  if (opts.scroll) await session.scroll(opts.scroll, deadline);
  if (opts.loadMore) await session.loadMore(opts.loadMore.selector, opts.loadMore.maxClicks, deadline);
  const maxChars = opts.maxBytes ?? 5 * 1024 * 1024;
  let html: { text: string; truncated: boolean };
  for (;;) {
    await session.settleNavigation(CLIENT_NAVIGATION_QUIET_MS, deadline);
    if (session.refusal) throw session.refusal;
    const navigations = session.clientNavigations;
    try {
      // Serialised and cut inside the page, so a huge DOM never crosses into the worker whole.
      html = (await page.evaluate(readDom(maxChars))) as { text: string; truncated: boolean };
    } catch (err) {
      if (session.clientNavigations !== navigations || session.refusal) continue; // its document went away
      throw err;
    }
    if (session.clientNavigations === navigations) break; // else the read may be of a page on its way out
  }
  const text = html.text;
  const screenshot = opts.screenshot
    ? await page.screenshot({ fullPage: true, type: 'png', timeout: remaining() })
    : undefined;
  if (session.refusal) throw session.refusal; // a later client-side navigation was refused
  const finalUrl = page.url();
  if (!/^https?:/i.test(finalUrl)) throw new TransientError('browser', `${url}: ended on ${finalUrl}`);
  const headers = await response.allHeaders();
  const chain: string[] = [];
  for (let r: Request | null = response.request(); r; r = r.redirectedFrom()) chain.unshift(r.url());
  const redirects = chain.slice(1);
  if (finalUrl !== response.url()) redirects.push(finalUrl); // a client-side redirect
  const body = Buffer.from(text, 'utf8');
  const out: FetchedPage = {
    url,
    finalUrl,
    status: response.status(),
    headers,
    contentType: (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '',
    body,
    text,
    charset: 'utf-8',
    truncated: html.truncated,
    via: 'browser',
    fetchedAt: new Date(started).toISOString(),
    elapsedMs: Date.now() - started,
    redirects,
  };
  if (screenshot) out.screenshot = screenshot;
  return out;
}
