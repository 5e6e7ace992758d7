import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { routePath } from 'hono/route';
import type { Registry } from 'prom-client';
import { UsageError } from '../errors.ts';
import { fromRoot } from '../paths.ts';
import type { Store } from '../leads/index.ts';
import type { SiteKind } from '../leads/index.ts';
import { type Logger, log as rootLog } from '../log.ts';
import {
  type Analyst,
  analystFromApiToken,
  checkPassword,
  createSession,
  endSession,
  newToken,
  SESSION_TTL_MS,
  sameSecret,
  sessionFromCookie,
  useOneTimeLogin,
} from './auth.ts';
import { type AppDeps, pageCtx, type ReviewEnv } from './context.ts';
import type { EvidenceStore } from '../evidence/index.ts';
import { evidenceFrom } from './evidence.ts';
import { reviewMetrics } from './metrics.ts';
import { registerApi } from './routes-api.ts';
import { registerLexicons } from './routes-lexicons.ts';
import { registerCrawls } from './crawls.ts';
import { registerTriage } from './routes-triage.ts';
import { registerUi } from './routes-ui.ts';
import { LoginLimiter, SECURITY_HEADERS, safeNext } from './security.ts';
import { errorPage, loginPage } from './view-layout.ts';

export interface ReviewAppOptions {
  store: Store;
  /** Mark cookies `Secure` (and use the `__Host-` prefix) even when requests arrive over plain HTTP (behind a TLS proxy). Requests over HTTPS always get secure cookies. Default false. */
  secureCookies?: boolean;
  /** prom-client registry served at `/metrics`. Default: a private registry with the process metrics. */
  metrics?: Registry;
  /** The evidence files (`EvidenceStore.forDataDir(dataDir)`): the lead page shows the newest sealed capture. Default: none shown. */
  evidenceStore?: EvidenceStore;
  /** Job counts per queue and state (e.g. from BullMQ `Queue.getJobCounts`), shown at `/queues`. */
  queueCounts?: () => Promise<Record<string, Record<string, number>>>;
  /** The lexicon directory in force (`config.lexiconsDir`): `/lexicons` shows its version, lint and a what-if. */
  lexiconsDir?: string;
  /** Kinds of the configured sites, for the what-if rescoring at `/lexicons/what-if` (others are inferred). */
  siteKinds?: ReadonlyMap<string, SiteKind>;
  /**
   * The directories a what-if may read proposed lexicons from (and their subdirectories); nothing
   * else on the server is read. Default: the directory that holds `lexiconsDir`.
   */
  whatIfRoots?: string[];
  log?: Logger;
}

const STATIC: Record<string, { body: string; type: string }> = {
  'app.js': {
    body: readFileSync(fromRoot('src/review/static/app.js'), 'utf8'),
    type: 'text/javascript; charset=utf-8',
  },
  'app.css': {
    body: readFileSync(fromRoot('src/review/static/app.css'), 'utf8'),
    type: 'text/css; charset=utf-8',
  },
};

const LOGIN_COOKIE = 'spw_login';
const isApi = (path: string) => path.startsWith('/api/');

/** The review app: server-rendered pages, the JSON API, exports and metrics over the leads store. */
export function createReviewApp(opts: ReviewAppOptions): Hono<ReviewEnv> {
  const { store } = opts;
  const log = (opts.log ?? rootLog).child({ component: 'review' });
  const metrics = reviewMetrics(opts.metrics);
  const limiter = new LoginLimiter();
  const app = new Hono<ReviewEnv>();

  const secure = (url: string) => opts.secureCookies === true || url.startsWith('https:');
  const sessionCookie = (url: string) => (secure(url) ? '__Host-spw_session' : 'spw_session');

  app.use('*', async (c, next) => {
    const start = performance.now();
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    if (secure(c.req.url)) c.res.headers.set('Strict-Transport-Security', 'max-age=31536000');
    if (!c.req.path.startsWith('/static/')) c.res.headers.set('Cache-Control', 'no-store');
    const route = routePath(c) || 'unmatched';
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.duration.observe({ route }, (performance.now() - start) / 1000);
  });

  app.onError((err, c) => {
    if (err instanceof UsageError) {
      return isApi(c.req.path)
        ? c.json({ error: err.message }, 400)
        : c.html(errorPage(pageCtx(c), 400, err.message), 400);
    }
    log.error({ err, path: c.req.path }, 'review request failed');
    return isApi(c.req.path) ? c.json({ error: 'internal error' }, 500) : c.text('Internal error', 500);
  });
  app.notFound((c) => (isApi(c.req.path) ? c.json({ error: 'not found' }, 404) : c.text('Not found', 404)));

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/static/:file', (c) => {
    const f = STATIC[c.req.param('file')];
    if (!f) return c.text('Not found', 404);
    c.header('Cache-Control', 'no-cache');
    return c.body(f.body, 200, { 'Content-Type': f.type });
  });
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('Request too large', 413) }));

  // Sign-in. The form carries a token that must equal a cookie set with it (login CSRF).
  const showLogin = (c: Context<ReviewEnv>, status: 200 | 401 | 403 | 429, error?: string, name?: string) => {
    const { token } = newToken();
    setCookie(c, LOGIN_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/login',
      secure: secure(c.req.url),
      maxAge: 3600,
    });
    return c.html(loginPage({ csrf: token, ...(error ? { error } : {}), ...(name ? { name } : {}) }), status);
  };
  app.get('/login', (c) => showLogin(c, 200));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form._csrf === 'string' ? form._csrf : '';
    const cookie = getCookie(c, LOGIN_COOKIE) ?? '';
    if (!token || !cookie || !sameSecret(token, cookie))
      return showLogin(c, 403, 'The form expired: please sign in again.');
    const name = typeof form.name === 'string' ? form.name.trim().slice(0, 64) : '';
    const password = typeof form.password === 'string' ? form.password.slice(0, 1024) : '';
    const ip = c.req.header('x-forwarded-for') ?? 'local';
    const keys = [`name:${name}`, `ip:${ip}`];
    if (limiter.blocked(keys)) return showLogin(c, 429, 'Too many failed attempts: wait 15 minutes.', name);
    const analyst = name && password ? await checkPassword(store, name, password) : null;
    if (!analyst) {
      limiter.fail(keys);
      await store.triage.audit({ analyst: null, name, action: 'login-failed' });
      return showLogin(c, 401, 'Wrong name or password.', name);
    }
    limiter.succeed(keys);
    deleteCookie(c, LOGIN_COOKIE, { path: '/login' });
    return startSession(c, analyst, 'password', safeNext(c.req.query('next')));
  });
  app.get('/login/once', async (c) => {
    const analyst = await useOneTimeLogin(store, c.req.query('token') ?? '');
    if (!analyst) return showLogin(c, 401, 'This sign-in link was used already or has expired.');
    return startSession(c, analyst, 'one-time link', '/');
  });

  async function startSession(c: Context<ReviewEnv>, analyst: Analyst, how: string, next: string) {
    const { cookie } = await createSession(store, analyst);
    setCookie(c, sessionCookie(c.req.url), cookie, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: secure(c.req.url),
      path: '/',
      maxAge: SESSION_TTL_MS / 1000,
    });
    await store.triage.audit({ analyst, action: 'login', detail: { how } });
    return c.redirect(next, 303);
  }

  // Everything below needs an analyst: a session cookie, or an API token for the API, exports and metrics.
  app.use('*', async (c, next) => {
    const auth = c.req.header('authorization');
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      const analyst = m ? await analystFromApiToken(store, m[1]!) : null;
      if (!analyst) return c.json({ error: 'invalid API token' }, 401, { 'WWW-Authenticate': 'Bearer' });
      c.set('analyst', analyst);
      c.set('session', null);
      return next();
    }
    const cookie = getCookie(c, sessionCookie(c.req.url));
    const session = cookie ? await sessionFromCookie(store, cookie) : null;
    if (!session) {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.text('Sign in first', 403);
      if (isApi(c.req.path) || c.req.path === '/metrics' || c.req.path.startsWith('/export.'))
        return c.json({ error: 'sign in or send Authorization: Bearer <token>' }, 401, {
          'WWW-Authenticate': 'Bearer',
        });
      const here = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(here.pathname + here.search)}`, 303);
    }
    c.set('analyst', session.analyst);
    c.set('session', session);
    return next();
  });

  // CSRF: every POST from a session carries the session's token (form field `_csrf` or header
  // `X-CSRF-Token`) and, when the browser says where it comes from, comes from this origin.
  app.use('*', async (c, next) => {
    const session = c.get('session');
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || !session) return next();
    // Under `Referrer-Policy: no-referrer` browsers send `Origin: null` for same-origin forms: that says nothing.
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    if (
      (origin && origin !== 'null' && origin !== new URL(c.req.url).origin) ||
      (site && site !== 'same-origin' && site !== 'none')
    )
      return c.text('Cross-origin request refused', 403);
    let token = c.req.header('x-csrf-token') ?? '';
    if (!token) {
      const form = await c.req.parseBody();
      token = typeof form._csrf === 'string' ? form._csrf : '';
    }
    if (!token || !sameSecret(token, session.csrf)) return c.text('Missing or wrong CSRF token', 403);
    return next();
  });

  app.post('/logout', async (c) => {
    const session = c.get('session');
    if (session) await endSession(store, session.id);
    await store.triage.audit({ analyst: c.get('analyst'), action: 'logout' });
    deleteCookie(c, sessionCookie(c.req.url), { path: '/', secure: secure(c.req.url) });
    return c.redirect('/login', 303);
  });

  const deps: AppDeps = {
    store,
    metrics,
    evidence: opts.evidenceStore ? evidenceFrom(opts.evidenceStore) : null,
    queueCounts: opts.queueCounts,
    lexiconsDir: opts.lexiconsDir,
    siteKinds: opts.siteKinds,
    whatIfRoots: opts.whatIfRoots ?? (opts.lexiconsDir ? [dirname(opts.lexiconsDir)] : []),
    log,
  };
  registerUi(app, deps);
  registerTriage(app, deps);
  registerCrawls(app, deps);
  registerLexicons(app, deps);
  registerApi(app, deps);
  return app;
}
