import { html, type SafeHtml } from './html.ts';

export interface PageContext {
  /** Signed-in analyst's name, or null on the sign-in pages. */
  analyst: string | null;
  csrf: string | null;
  /** Whether the queue dashboard link is shown. */
  queues?: boolean;
}

/** The page shell: one stylesheet and one script, both served by the app; no inline script or style. */
export function layout(
  title: string,
  ctx: PageContext,
  body: SafeHtml,
  opts: { page?: string } = {},
): string {
  const nav = ctx.analyst
    ? html`<nav>
        <a href="/" class="brand">Spiderweb review</a>
        <a href="/">Queue</a>
        <a href="/identifiers">Identifiers</a>
        <a href="/crawls">Crawls</a>
        <a href="/audit">Audit log</a>
        <a href="/lexicons">Lexicons</a>
        ${ctx.queues ? html`<a href="/queues">Queues</a>` : ''}
        <a href="/metrics">Metrics</a>
        <span class="who">${ctx.analyst}</span>
        <form method="post" action="/logout" class="inline">
          <input type="hidden" name="_csrf" value="${ctx.csrf}">
          <button type="submit">Sign out</button>
        </form>
      </nav>`
    : html`<nav><span class="brand">Spiderweb review</span></nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${ctx.csrf ? html`<meta name="csrf-token" content="${ctx.csrf}">` : ''}
<title>${title} · Spiderweb</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="data:,">
<script src="/static/app.js" defer></script>
</head>
<body data-page="${opts.page ?? ''}">
${nav}
<main>
${body}
</main>
</body>
</html>
`.value;
}

/** `2024-05-01 12:00` from an ISO time (UTC). */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '';
}

export function errorPage(ctx: PageContext, status: number, message: string): string {
  return layout(
    `${status}`,
    ctx,
    html`<h1>${status}</h1><p class="error">${message}</p><p><a href="/">Back to the queue</a></p>`,
  );
}

export function loginPage(opts: { csrf: string; error?: string; name?: string }): string {
  return layout(
    'Sign in',
    { analyst: null, csrf: null },
    html`<h1>Sign in</h1>
      ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
      <form method="post" action="/login" class="login">
        <input type="hidden" name="_csrf" value="${opts.csrf}">
        <label>Analyst <input name="name" autocomplete="username" required value="${opts.name ?? ''}" autofocus></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">Sign in</button>
      </form>
      <p class="hint">No password? Ask for a one-time link: <code>spiderweb analyst link NAME</code>.</p>`,
  );
}
