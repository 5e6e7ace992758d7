/** Options of the browser fetcher, field by field, with their defaults. */

/** How long a render waits after navigation before it reads the DOM. */
export type WaitFor =
  /**
   * The `load` event, then until no request has been in flight for 100 ms (at most 2 s): most
   * JavaScript shells fetch their data right after `load`.
   */
  | 'load'
  /** Playwright's `networkidle`: no network connection for at least 500 ms. Slower but thorough. */
  | 'networkidle'
  /** Until an element matching the CSS selector is attached (after `domcontentloaded`). */
  | { selector: string };

export interface BrowserPoolOptions {
  /**
   * Chromium executable. Default: `SPIDERWEB_CHROMIUM`, else Playwright's bundled Chromium when
   * installed, else `/usr/bin/chromium`, `/usr/bin/chromium-browser`, `/usr/bin/google-chrome`
   * (see `resolveChromiumPath`).
   */
  executablePath?: string;
  /**
   * Recycle the browser process after this many pages (a fresh process bounds memory growth and
   * leaked state). Pages in flight finish on the old browser. Default `200`.
   */
  maxPagesPerBrowser?: number;
  /** Pages rendered at the same time across all sites; more renders wait their turn. Default `4`. */
  maxConcurrentPages?: number;
  /**
   * Playwright resource types aborted before they reach the network (`image`, `font`, `media`,
   * `stylesheet`, `script`, `xhr`, `fetch`...). Default `['image', 'font', 'media']`.
   */
  blockResources?: string[];
  /**
   * Default time budget of one render (navigation, waiting, scrolling, clicks and screenshot
   * together) when `RenderOptions.timeoutMs` is not set. A page still busy at the end fails with
   * TransientError('timeout'). Default `30_000` ms.
   */
  navigationTimeoutMs?: number;
  /** Extra Chromium command-line switches, appended to the defaults. Default none. */
  extraArgs?: string[];
}

export interface RenderOptions {
  /** The site the page belongs to: renders of one site (and proxy) share one BrowserContext (cookies). */
  siteId: string;
  /** When the DOM is read. Default `'load'` (see {@link WaitFor}). */
  waitFor?: WaitFor;
  /** Scroll to the bottom this many times (infinite-scroll listings), waiting for requests after each. Default `0`. */
  scroll?: number;
  /**
   * Click a "load more" button up to `maxClicks` times, waiting for requests after each click; stops
   * early when the button is gone or hidden. Default none.
   */
  loadMore?: { selector: string; maxClicks: number };
  /** Take a full-page PNG screenshot into `FetchedPage.screenshot`. Default `false`. */
  screenshot?: boolean;
  /**
   * Proxy for this render: `http://[user:pass@]host:port`, `socks5://host:port` or
   * `socks5h://host:port` (both SOCKS forms make Chromium send host names to the proxy: they are
   * never resolved locally, so `.onion` works through Tor at `socks5h://127.0.0.1:9050`). Never
   * falls back to a direct connection: a dead proxy fails with TransientError('proxy').
   * Default: direct.
   */
  proxy?: string | undefined;
  /**
   * Allow requests to loopback, private, link-local and other non-public addresses. When `false`,
   * every request the page makes to such an address (or a name resolving to one) is aborted, and a
   * refused main document fails with NonRetryableError('private-network'). With a proxy, names
   * are not resolved locally (the proxy resolves them); IP literals and `localhost` are still
   * checked. Default `false`.
   */
  allowPrivateNetwork?: boolean;
  /**
   * Scope check for each redirect hop of the main document (the first URL is the caller's
   * business). Throw (e.g. NonRetryableError('out-of-scope')) to refuse a hop: the hop is never
   * requested and the render rejects with that error.
   */
  checkUrl?: (url: string) => void;
  /**
   * Main-document hops one render may take: HTTP redirects and the page's own navigations (meta
   * refresh, `location = ...`) alike. One more is refused and fails the render with
   * NonRetryableError('redirect-limit'), so a refresh or script loop ends like an HTTP redirect loop.
   * Default `5`.
   */
  maxRedirects?: number;
  /** User-Agent for this render (part of the context key). Default: Chromium's own. */
  userAgent?: string | undefined;
  /**
   * Largest rendered document read back, in characters of serialised HTML: a script can build a DOM of
   * any size, and reading it all would load it all into the worker. Longer documents are cut there
   * (`truncated: true`). Default `5 * 1024 * 1024`.
   */
  maxBytes?: number;
  /** Time budget of this render. Default: the pool's `navigationTimeoutMs`. */
  timeoutMs?: number | undefined;
  /**
   * Waits for a request's turn at its host (the shared politeness gate), for every http(s) request the
   * page makes but its first document, which the caller has gated. Throwing aborts that request.
   * Default: requests go at once.
   */
  beforeRequest?: ((url: string) => Promise<void>) | undefined;
}

export const DEFAULT_BLOCK_RESOURCES: readonly string[] = ['image', 'font', 'media'];

/** Switches for a quiet headless Chromium in a closed network (no calls home, no QUIC). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions',
  '--mute-audio',
  '--hide-scrollbars',
];

export interface BrowserPoolStats {
  /** Browser processes started (first launch, recycling and crash recovery). */
  launches: number;
  /** Renders that returned a page. */
  pagesRendered: number;
  /** Browser processes that died without being asked to (crash, kill, wedge). */
  crashes: number;
  /** Renders that failed (any error). */
  renderFailures: number;
  /** Pop-up windows closed. */
  popupsClosed: number;
  /** Downloads refused. */
  downloadsRefused: number;
  /** Requests aborted because of their resource type (`blockResources`). */
  requestsBlocked: number;
  /** Requests refused because they targeted a private/loopback address. */
  privateRefused: number;
}
