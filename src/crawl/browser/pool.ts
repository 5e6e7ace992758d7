import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { NonRetryableError, type SpiderwebError, TransientError, errorMessage } from '../../errors.ts';
import { log } from '../../log.ts';
import type { FetchedPage } from '../types.ts';
import { resolveChromiumPath } from './chromium-path.ts';
import { createSealedContext, screenshotSealed } from './evidence-shot.ts';
import { GuardProxy } from './guard-proxy.ts';
import { mapRenderError } from './map-error.ts';
import {
  type BrowserPoolOptions,
  type BrowserPoolStats,
  CHROMIUM_ARGS,
  DEFAULT_BLOCK_RESOURCES,
  type RenderOptions,
} from './options.ts';
import { launchChromium } from './launch.ts';
import { PageSession, privateLiteral } from './page-session.ts';
import { toPlaywrightProxy } from './proxy.ts';
import { renderInPage } from './render-page.ts';
import { Semaphore } from './semaphore.ts';
import { checkHttpUrl, effectiveType, killPid, sleep, withDeadline } from './util.ts';

const browserLog = log.child({ component: 'browser' });

/** Time a page gets to close before its browser is considered wedged and killed. */
const CLOSE_TIMEOUT_MS = 5_000;
const NO_WINDOW_OPEN = 'window.open = function () { return null; };';
/** A page is reused for this many renders of its site, then closed (bounds leaks in long runs). */
const MAX_PAGE_USES = 50;

interface RenderState {
  session?: PageSession;
  key?: string;
  abandoned: boolean;
  ok: boolean;
}

interface Slot {
  id: number;
  browser: Browser;
  pid: number | undefined;
  userAgent: string;
  contexts: Map<string, Promise<BrowserContext>>;
  /** Pages parked on about:blank for reuse, oldest first. */
  idle: { key: string; session: PageSession }[];
  opened: number;
  active: number;
  retiring: boolean;
  dead: boolean;
  closing: boolean;
}

/**
 * A pool of one live Chromium (plus retiring ones finishing their pages) rendering pages for the
 * browser fetcher. One BrowserContext per site + proxy (+ user agent, + private-network policy),
 * reused across renders; the browser is recycled after `maxPagesPerBrowser` pages and relaunched
 * on the next render after a crash or a wedge.
 */
export class BrowserPool {
  readonly #executablePath: string;
  readonly #maxPages: number;
  readonly #maxIdle: number;
  readonly #navTimeoutMs: number;
  readonly #block: Set<string>;
  readonly #args: string[];
  readonly #sem: Semaphore;
  readonly #slots = new Set<Slot>();
  readonly #sessions = new WeakMap<Page, PageSession>();
  readonly #stats: BrowserPoolStats = {
    launches: 0,
    pagesRendered: 0,
    crashes: 0,
    renderFailures: 0,
    popupsClosed: 0,
    downloadsRefused: 0,
    requestsBlocked: 0,
    privateRefused: 0,
  };
  #current: Promise<Slot> | undefined;
  #guard: Promise<GuardProxy> | undefined;
  #sealed: Promise<GuardProxy> | undefined;
  #nextId = 1;
  #closed = false;

  constructor(opts: BrowserPoolOptions = {}) {
    this.#executablePath = resolveChromiumPath(opts.executablePath);
    this.#maxPages = Math.max(1, opts.maxPagesPerBrowser ?? 200);
    this.#navTimeoutMs = opts.navigationTimeoutMs ?? 30_000;
    this.#block = new Set(opts.blockResources ?? DEFAULT_BLOCK_RESOURCES);
    this.#args = [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])];
    this.#maxIdle = Math.max(1, opts.maxConcurrentPages ?? 4);
    this.#sem = new Semaphore(this.#maxIdle);
  }

  /** Counters since the pool was created. */
  stats(): BrowserPoolStats {
    const s = { ...this.#stats };
    return s;
  }

  /** Process id of the browser new renders go to (for operators and crash tests). */
  async browserPid(): Promise<number | undefined> {
    return (await this.#slot()).pid;
  }

  /** Render `url` in Chromium and return the rendered DOM as a `FetchedPage` (`via: 'browser'`). */
  async render(url: string, opts: RenderOptions): Promise<FetchedPage> {
    checkHttpUrl(url);
    const timeoutMs = opts.timeoutMs ?? this.#navTimeoutMs;
    const release = await this.#sem.acquire();
    const started = Date.now();
    const deadline = started + timeoutMs;
    const state: RenderState = { abandoned: false, ok: false };
    let slot: Slot | undefined;
    try {
      const s = await this.#slot();
      slot = s;
      s.opened++;
      s.active++;
      if (s.opened >= this.#maxPages) s.retiring = true;
      const work = this.#renderOn(s, url, opts, started, deadline, state);
      const page = await withDeadline(
        work,
        deadline,
        () => new TransientError('timeout', `${url}: render did not finish within ${timeoutMs} ms`),
      );
      state.ok = true;
      this.#stats.pagesRendered++;
      browserLog.debug({ url, ms: page.elapsedMs, status: page.status }, 'rendered');
      return page;
    } catch (err) {
      state.abandoned = true;
      this.#stats.renderFailures++;
      const mapped = await this.#explain(err, url, opts, slot, state.session);
      browserLog.debug({ url, reason: mapped.message }, 'render failed');
      throw mapped;
    } finally {
      if (state.session && slot) {
        if (state.ok && state.key !== undefined) await this.#park(slot, state.key, state.session);
        else await this.#closePage(slot, state.session);
      }
      if (slot) {
        slot.active--;
        if (slot.retiring && slot.active === 0) void this.#retire(slot);
      }
      release();
    }
  }

  async #renderOn(
    slot: Slot,
    url: string,
    opts: RenderOptions,
    started: number,
    deadline: number,
    state: RenderState,
  ): Promise<FetchedPage> {
    const key = JSON.stringify([
      opts.siteId,
      opts.proxy ?? '',
      opts.userAgent ?? '',
      opts.allowPrivateNetwork ?? false,
    ]);
    let session = this.#takeIdle(slot, key);
    if (!session) {
      const context = await this.#context(slot, key, opts);
      const page = await context.newPage();
      session = new PageSession(page, {
        allowPrivateNetwork: opts.allowPrivateNetwork ?? false,
        stats: this.#stats,
      });
      this.#sessions.set(page, session);
      if (state.abandoned) {
        await page.close({ runBeforeUnload: false }).catch(() => {});
        throw new TransientError('timeout', `${url}: render abandoned`);
      }
      state.session = session;
      await session.attach();
    }
    state.session = session;
    state.key = key;
    session.reset(opts.checkUrl, opts.maxRedirects ?? 5, opts.beforeRequest);
    return renderInPage(session, url, opts, started, deadline);
  }

  /**
   * Full-page PNG of captured HTML (evidence for pages fetched over HTTP) without letting it fetch
   * anything: JavaScript off, the context offline, every request aborted. `baseUrl` is only logged:
   * resolving relative URLs would be pointless when nothing may load.
   */
  async screenshotHtml(html: string, baseUrl: string): Promise<Buffer> {
    const release = await this.#sem.acquire();
    try {
      const slot = await this.#slot();
      const context = await this.#contextFor(slot, '\u0000evidence', async () =>
        createSealedContext(slot.browser, (await this.#guardProxy(true)).url),
      );
      return await screenshotSealed(context, html, baseUrl, Date.now() + this.#navTimeoutMs);
    } catch (err) {
      throw mapRenderError(err, baseUrl, false);
    } finally {
      release();
    }
  }

  /** Close every browser and the guard proxy. Renders after this fail with TransientError('browser'). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#current = undefined;
    await Promise.all([...this.#slots].map((s) => this.#retire(s)));
    const guards = [this.#guard, this.#sealed];
    this.#guard = undefined;
    this.#sealed = undefined;
    for (const g of guards) if (g) await (await g.catch(() => undefined))?.close();
  }

  async #slot(): Promise<Slot> {
    if (this.#closed) throw new TransientError('browser', 'the browser pool is closed');
    const pending = this.#current;
    if (pending) {
      const s = await pending.catch(() => undefined);
      if (s && !s.dead && !s.retiring) return s;
      if (this.#current !== pending) return this.#slot(); // someone else already replaced it
    }
    const launching = this.#launch();
    this.#current = launching;
    try {
      return await launching;
    } catch (err) {
      if (this.#current === launching) this.#current = undefined;
      throw new TransientError(
        'browser',
        `could not launch Chromium (${this.#executablePath}): ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async #launch(): Promise<Slot> {
    const { browser, pid, userAgent } = await launchChromium(this.#executablePath, this.#args);
    this.#stats.launches++;
    const slot: Slot = {
      id: this.#nextId++,
      browser,
      pid,
      userAgent,
      contexts: new Map(),
      idle: [],
      opened: 0,
      active: 0,
      retiring: false,
      dead: false,
      closing: false,
    };
    browser.on('disconnected', () => {
      slot.dead = true;
      this.#slots.delete(slot);
      if (!slot.closing) {
        this.#stats.crashes++;
        browserLog.warn(
          { browser: slot.id, chromiumPid: pid },
          'browser died; a new one starts with the next render',
        );
      }
    });
    this.#slots.add(slot);
    browserLog.debug(
      { browser: slot.id, chromiumPid: pid, executable: this.#executablePath },
      'browser launched',
    );
    return slot;
  }

  #context(slot: Slot, key: string, opts: RenderOptions): Promise<BrowserContext> {
    const allowPrivate = opts.allowPrivateNetwork ?? false;
    return this.#contextFor(slot, key, async () => {
      const proxy = opts.proxy
        ? toPlaywrightProxy(opts.proxy)
        : allowPrivate
          ? undefined
          : { server: (await this.#guardProxy()).url };
      const userAgent = opts.userAgent ?? slot.userAgent;
      const ctx = await slot.browser.newContext({
        acceptDownloads: false,
        serviceWorkers: 'block',
        viewport: { width: 1280, height: 800 },
        ...(proxy ? { proxy } : {}),
        ...(userAgent ? { userAgent } : {}),
      });
      await ctx.addInitScript({ content: NO_WINDOW_OPEN });
      await ctx.route('**/*', (route) => this.#route(route, allowPrivate));
      browserLog.debug(
        { browser: slot.id, siteId: opts.siteId, proxied: Boolean(opts.proxy) },
        'context created',
      );
      return ctx;
    });
  }

  #contextFor(slot: Slot, key: string, create: () => Promise<BrowserContext>): Promise<BrowserContext> {
    let ctx = slot.contexts.get(key);
    if (!ctx) {
      ctx = create();
      slot.contexts.set(key, ctx);
      ctx.catch(() => slot.contexts.delete(key));
    }
    return ctx;
  }

  async #route(route: Route, allowPrivate: boolean): Promise<void> {
    const req = route.request();
    try {
      if (this.#block.has(effectiveType(req))) {
        this.#stats.requestsBlocked++;
        await route.abort('blockedbyclient');
        return;
      }
      const why = allowPrivate ? undefined : privateLiteral(req.url());
      if (why) {
        this.#stats.privateRefused++;
        const page = req.frame().page();
        const session = this.#sessions.get(page);
        if (session && req.isNavigationRequest() && req.frame() === page.mainFrame()) {
          session.refusal = new NonRetryableError('private-network', `${req.url()} refused: ${why}`);
        }
        await route.abort('blockedbyclient');
        return;
      }
      // Every request but the render's first document waits for its host's turn (shared politeness).
      const page = req.frame().page();
      const session = this.#sessions.get(page);
      if (session?.beforeRequest && /^https?:/.test(req.url())) {
        const first =
          !session.firstDocumentSent && req.isNavigationRequest() && req.frame() === page.mainFrame();
        if (first) session.firstDocumentSent = true;
        else await session.beforeRequest(req.url());
      }
      await route.continue();
    } catch {
      // the page closed while the request was paused, or a service-worker request without a frame
      await route.abort('blockedbyclient').catch(() => {});
    }
  }

  /** The SSRF guard proxy, or (`sealed`) the one that refuses every connection. */
  #guardProxy(sealed = false): Promise<GuardProxy> {
    const existing = sealed ? this.#sealed : this.#guard;
    if (existing) return existing;
    const guard = new GuardProxy(sealed);
    const ready = guard.listen().then(() => guard);
    if (sealed) this.#sealed = ready;
    else this.#guard = ready;
    return ready;
  }

  /** Turn whatever a render threw into the error the worker acts on. */
  async #explain(
    err: unknown,
    url: string,
    opts: RenderOptions,
    slot: Slot | undefined,
    session: PageSession | undefined,
  ): Promise<SpiderwebError> {
    if (session?.refusal) return session.refusal;
    if (!opts.proxy && !opts.allowPrivateNetwork && session?.mainDocumentUrl && this.#guard) {
      const u = new URL(session.mainDocumentUrl);
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      const why = (await this.#guard).refusal(u.hostname.replace(/^\[|\]$/g, ''), port);
      if (why) return new NonRetryableError('private-network', `${session.mainDocumentUrl} refused: ${why}`);
    }
    if (slot?.dead && !(err instanceof TransientError && err.reason === 'timeout')) {
      return new TransientError('browser', `${url}: the browser died during the render`, { cause: err });
    }
    return mapRenderError(err, url, Boolean(opts.proxy));
  }

  #takeIdle(slot: Slot, key: string): PageSession | undefined {
    for (let i = slot.idle.length - 1; i >= 0; i--) {
      const entry = slot.idle[i];
      if (entry?.key !== key) continue;
      slot.idle.splice(i, 1);
      if (!entry.session.page.isClosed()) return entry.session;
    }
    return undefined;
  }

  /**
   * Park a page that rendered fine on `about:blank` (its scripts stop) for the next render of the
   * same site; pages past `MAX_PAGE_USES`, on a retiring browser, or beyond `maxConcurrentPages`
   * idle pages are closed instead.
   */
  async #park(slot: Slot, key: string, session: PageSession): Promise<void> {
    if (slot.dead || slot.retiring || session.uses >= MAX_PAGE_USES) return this.#closePage(slot, session);
    try {
      // Committed is enough: the old document is gone then, its scripts with it. Waiting for the blank
      // page's load as well took a median 75 ms against 49 ms (test/bench/browser.ts).
      await session.page.goto('about:blank', { timeout: 2_000, waitUntil: 'commit' });
    } catch {
      return this.#closePage(slot, session);
    }
    slot.idle.push({ key, session });
    const evicted = slot.idle.length > this.#maxIdle ? slot.idle.shift() : undefined;
    if (evicted) await this.#closePage(slot, evicted.session);
  }

  async #closePage(slot: Slot | undefined, session: PageSession): Promise<void> {
    // closing the page ends its CDP session too (detaching first can hang on a busy renderer)
    const closed = await Promise.race([
      session.page.close({ runBeforeUnload: false }).then(
        () => true,
        () => true,
      ),
      sleep(CLOSE_TIMEOUT_MS).then(() => false),
    ]);
    if (!closed && slot && !slot.dead) {
      browserLog.warn(
        { browser: slot.id, chromiumPid: slot.pid },
        'a page would not close: killing the wedged browser',
      );
      slot.retiring = true;
      killPid(slot.pid);
    }
  }

  async #retire(slot: Slot): Promise<void> {
    if (slot.closing || slot.dead) return;
    slot.closing = true;
    slot.retiring = true;
    const closed = await Promise.race([
      slot.browser.close().then(
        () => true,
        () => true,
      ),
      sleep(CLOSE_TIMEOUT_MS).then(() => false),
    ]);
    if (!closed) killPid(slot.pid);
    this.#slots.delete(slot);
    browserLog.debug({ browser: slot.id, pages: slot.opened }, 'browser retired');
  }
}
