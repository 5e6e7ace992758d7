/**
 * Everything attached to one rendered page: refusal of pop-ups, dialogs and downloads; the
 * main document's redirect hops vetted before they are requested (a CDP `Fetch` session, since
 * Playwright's routes do not see redirects); in-flight request tracking for "wait until quiet";
 * scrolling and "load more" clicks.
 */
import type { CDPSession, Page, Request } from 'playwright-core';
import { NonRetryableError, SpiderwebError, TransientError, errorMessage } from '../../errors.ts';
import { log } from '../../log.ts';
import { classifyAddress, ipLiteral } from '../http/ssrf.ts';
import type { BrowserPoolStats } from './options.ts';
import { sleep } from './util.ts';

const pageLog = log.child({ component: 'browser' });
const DOM_SIZE =
  'document.getElementsByTagName("*").length + ":" + (document.body ? document.body.innerHTML.length : 0)';
const SCROLL_TO_BOTTOM =
  'window.scrollTo(0, (document.scrollingElement || document.documentElement).scrollHeight)';

/** Cheap, DNS-free check: an IP literal that is not public, or a `localhost` name. */
export function privateLiteral(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    return undefined;
  }
  const literal = ipLiteral(u.hostname);
  if (literal) {
    const cls = classifyAddress(literal);
    return cls === 'public' ? undefined : `${cls} address ${literal}`;
  }
  return /(^|\.)localhost\.?$/i.test(u.hostname) ? `host ${u.hostname}` : undefined;
}

export interface PageSessionOptions {
  allowPrivateNetwork: boolean;
  stats: BrowserPoolStats;
}

interface PausedEvent {
  requestId: string;
  request: { url: string };
  frameId: string;
  resourceType: string;
  redirectedRequestId?: string;
}

export class PageSession {
  readonly page: Page;
  /** Why the main document was refused by us, when it was. */
  refusal: SpiderwebError | undefined;
  /** The main frame's latest document URL (each redirect hop). */
  mainDocumentUrl: string | undefined;
  /** Scope check for the current render's later main-frame documents. */
  checkUrl: ((url: string) => void) | undefined;
  /** Main-frame hops this render may take after its first document (redirects and client-side alike). */
  maxHops = 5;
  /** Main-frame documents requested after the first one in this render (HTTP redirects and client-side). */
  hops = 0;
  /** Of those, the ones the page started itself (meta refresh, `location`...), and when the last one did. */
  clientNavigations = 0;
  lastNavigationAt = 0;
  /** Renders done in this page (pages are reused, then closed after a while). */
  uses = 0;
  /** This render's wait for a request's turn at its host (`RenderOptions.beforeRequest`). */
  beforeRequest: ((url: string) => Promise<void>) | undefined;
  /** Whether this render's first main-frame document went out (the caller gated that one). */
  firstDocumentSent = false;
  #inflight = 0;
  #lastActivity = Date.now();
  #mainFrameId: string | undefined;
  readonly #opts: PageSessionOptions;

  constructor(page: Page, opts: PageSessionOptions) {
    this.page = page;
    this.#opts = opts;
    page.on('popup', (popup) => {
      opts.stats.popupsClosed++;
      pageLog.debug({ url: popup.url() }, 'pop-up closed');
      popup.close({ runBeforeUnload: false }).catch(() => {});
    });
    page.on('dialog', (dialog) => {
      // dismiss alerts, confirms and prompts; let `beforeunload` go (dismissing it would keep the page)
      (dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss()).catch(() => {});
    });
    page.on('download', (download) => {
      opts.stats.downloadsRefused++;
      pageLog.debug({ url: download.url() }, 'download refused');
      download.cancel().catch(() => {});
    });
    const done = (req: Request) => {
      if (req.resourceType() === 'websocket' || req.resourceType() === 'eventsource') return;
      this.#inflight = Math.max(0, this.#inflight - 1);
      this.#lastActivity = Date.now();
    };
    page.on('request', (req) => {
      if (req.resourceType() === 'websocket' || req.resourceType() === 'eventsource') return;
      this.#inflight++;
      this.#lastActivity = Date.now();
    });
    page.on('requestfinished', done);
    page.on('requestfailed', done);
  }

  /** Start vetting the main document's redirect hops before they are requested. */
  async attach(): Promise<void> {
    const cdp = await this.page.context().newCDPSession(this.page);
    const tree = (await cdp.send('Page.getFrameTree')) as { frameTree: { frame: { id: string } } };
    this.#mainFrameId = tree.frameTree.frame.id;
    cdp.on('Fetch.requestPaused', (ev) => this.#onPaused(cdp, ev as unknown as PausedEvent));
    await cdp.send('Fetch.enable', {
      patterns: [{ urlPattern: '*', resourceType: 'Document', requestStage: 'Request' }],
    });
  }

  #onPaused(cdp: CDPSession, ev: PausedEvent): void {
    const url = ev.request.url;
    const main = ev.frameId === this.#mainFrameId;
    // The first main-frame document is the caller's URL (already vetted). Every later one (a
    // redirect hop, a meta refresh, a script setting `location`) is checked before it is sent.
    const later = main ? this.mainDocumentUrl !== undefined : ev.redirectedRequestId !== undefined;
    let refuse: SpiderwebError | undefined;
    if (later && main) {
      this.hops++;
      if (ev.redirectedRequestId === undefined) {
        this.clientNavigations++;
        this.lastNavigationAt = Date.now();
      }
    }
    if (later) {
      const why = this.#opts.allowPrivateNetwork ? undefined : privateLiteral(url);
      if (main && this.hops > this.maxHops) {
        // A meta-refresh or script loop never settles: it ends like an HTTP redirect loop.
        refuse = new NonRetryableError(
          'redirect-limit',
          `navigation to ${url} refused: more than ${this.maxHops} redirects and client-side navigations`,
        );
      } else if (why) {
        this.#opts.stats.privateRefused++;
        refuse = new NonRetryableError('private-network', `navigation to ${url} refused: ${why}`);
      } else if (main && this.checkUrl) {
        try {
          this.checkUrl(url);
        } catch (err) {
          refuse =
            err instanceof SpiderwebError
              ? err
              : new NonRetryableError('out-of-scope', `navigation to ${url} refused: ${errorMessage(err)}`);
        }
      }
    }
    if (main) {
      this.mainDocumentUrl = url;
      if (refuse && !this.refusal) this.refusal = refuse;
    }
    if (refuse) pageLog.debug({ url, reason: refuse.message }, 'redirect refused');
    const send = refuse
      ? cdp.send('Fetch.failRequest', { requestId: ev.requestId, errorReason: 'BlockedByClient' })
      : cdp.send('Fetch.continueRequest', { requestId: ev.requestId });
    send.catch(() => {}); // the page may be closing
  }

  /** Make the page ready for a new render (it was parked on `about:blank`). */
  reset(
    checkUrl: ((url: string) => void) | undefined,
    maxHops: number,
    beforeRequest?: (url: string) => Promise<void>,
  ): void {
    this.checkUrl = checkUrl;
    this.beforeRequest = beforeRequest;
    this.firstDocumentSent = false;
    this.maxHops = maxHops;
    this.hops = 0;
    this.clientNavigations = 0;
    this.lastNavigationAt = 0;
    this.refusal = undefined;
    this.mainDocumentUrl = undefined;
    this.#inflight = 0;
    this.#lastActivity = Date.now();
    this.uses++;
  }

  /** Wait until no request has been in flight for `quietMs` (at most `maxMs`, never past `deadline`). */
  async settle(quietMs: number, maxMs: number, deadline: number): Promise<void> {
    const end = Math.min(Date.now() + maxMs, deadline);
    // let scripts that run right after `load` or a click start their requests
    await sleep(Math.min(15, Math.max(0, end - Date.now())));
    while (Date.now() < end) {
      const quietFor = Date.now() - this.#lastActivity;
      if (this.#inflight === 0 && quietFor >= quietMs) return;
      // Nothing in flight: sleep to the end of the quiet window (a request meanwhile restarts it);
      // else look again soon.
      const wait = this.#inflight === 0 ? quietMs - quietFor : 25;
      await sleep(Math.min(wait, Math.max(1, end - Date.now())));
    }
  }

  /**
   * Wait until `selector` matches an element. Polled from here rather than with Playwright's
   * `waitForSelector`, whose in-page animation-frame polling crawls in pages that are not in front.
   */
  async waitForSelector(selector: string, deadline: number): Promise<void> {
    const probe = `document.querySelector(${JSON.stringify(selector)}) !== null`;
    for (;;) {
      if (await this.page.evaluate(probe)) return;
      if (Date.now() + 40 >= deadline) {
        throw new TransientError('timeout', `${this.page.url()}: selector ${selector} never appeared`);
      }
      await sleep(40);
    }
  }

  /**
   * Wait until the page has not navigated itself for `quietMs` (never past `deadline`). A page that
   * redirected client-side once may do it again: its DOM is read only once it stays put.
   */
  async settleNavigation(quietMs: number, deadline: number): Promise<void> {
    while (this.clientNavigations > 0 && !this.refusal) {
      const wait = this.lastNavigationAt + quietMs - Date.now();
      if (wait <= 0) return;
      if (Date.now() + wait >= deadline) {
        throw new TransientError('timeout', `${this.page.url()}: the page kept navigating`);
      }
      await sleep(wait);
    }
  }

  /** Scroll to the bottom `times` times, waiting for the requests each scroll triggers. */
  async scroll(times: number, deadline: number): Promise<void> {
    for (let i = 0; i < times && Date.now() < deadline; i++) {
      await this.page.evaluate(SCROLL_TO_BOTTOM);
      await this.settle(150, 2_000, deadline);
    }
  }

  /**
   * Click `selector` up to `maxClicks` times while it is visible. After each click, wait for the
   * DOM to change (at most 5 s) and for its requests to finish; a click that changes nothing ends
   * the clicking.
   */
  async loadMore(selector: string, maxClicks: number, deadline: number): Promise<number> {
    let clicks = 0;
    for (; clicks < maxClicks && Date.now() < deadline; clicks++) {
      const button = this.page.locator(selector).first();
      if (!(await button.isVisible().catch(() => false))) break;
      const before = await this.page.evaluate(DOM_SIZE);
      try {
        await button.click({ timeout: Math.max(1, Math.min(5_000, deadline - Date.now())) });
      } catch (err) {
        pageLog.debug({ selector, err: errorMessage(err) }, 'load-more click failed');
        break;
      }
      const changeBy = Math.min(deadline, Date.now() + 5_000);
      let changed = false;
      while (!changed && Date.now() < changeBy) {
        await sleep(25);
        changed = (await this.page.evaluate(DOM_SIZE)) !== before;
      }
      await this.settle(100, 3_000, deadline);
      if (!changed) break;
    }
    return clicks;
  }
}
