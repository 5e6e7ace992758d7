/**
 * The Crawls page: every crawl with its state, pages, leads and failures by reason, and one crawl's
 * failed URLs. State and reason are the crawl row's own (`spiderweb crawls` lists the same rows).
 */
import type { Context, Hono } from 'hono';
import type { CrawlListRow, Store } from '../leads/index.ts';
import { type AppDeps, pageCtx, type ReviewEnv } from './context.ts';
import { html } from './html.ts';
import { errorPage, layout, type PageContext, when } from './view-layout.ts';

/** A crawl row with counts from the stored pages and leads (`pages` counted, not the summary's). */
export interface CrawlRow extends Omit<CrawlListRow, 'pages'> {
  pages: number;
  failed: number;
  leads: number;
  newLeads: number;
  /** Failed pages by reason (`timeout`, `robots`, ...). */
  failures: Record<string, number>;
}

async function withCounts(store: Store, r: CrawlListRow): Promise<CrawlRow> {
  const [counts, failures] = await Promise.all([store.crawlCounts(r.id), store.failuresByReason(r.id)]);
  return { ...r, ...counts, failures };
}

/** The newest crawls, with counts from the stored pages and leads. */
export async function crawlRows(store: Store, limit = 30): Promise<CrawlRow[]> {
  return Promise.all((await store.listCrawls(limit)).map((r) => withCounts(store, r)));
}

/** One crawl with its counts; null when there is no such crawl. */
export async function crawlRow(store: Store, id: string): Promise<CrawlRow | null> {
  const [r] = await store.listCrawls(1, id);
  return r ? withCounts(store, r) : null;
}

const reasonList = (id: string, failures: Record<string, number>) =>
  Object.entries(failures)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([reason, n]) =>
        html`<a href="/crawls/${encodeURIComponent(id)}?reason=${encodeURIComponent(reason)}">${reason}</a> ${n}`,
    );

function crawlsPage(ctx: PageContext, rows: CrawlRow[]): string {
  return layout(
    'Crawls',
    ctx,
    html`<h1>Crawls</h1>
    <table class="crawls" id="crawls"><thead><tr><th>crawl</th><th>state</th><th>started (UTC)</th><th>finished</th><th>sites</th><th>pages</th><th>failed</th><th>leads</th><th>new leads</th><th>failures by reason</th></tr></thead>
    <tbody>${
      rows.length
        ? rows.map(
            (
              r,
            ) => html`<tr data-crawl="${r.id}"><td><a href="/crawls/${encodeURIComponent(r.id)}">${r.id}</a></td>
          <td class="state" title="${r.reason ?? ''}">${r.state}</td><td class="when">${when(r.startedAt)}</td><td class="when">${r.finishedAt ? when(r.finishedAt) : ''}</td>
          <td>${r.sites.join(', ')}</td><td class="num">${r.pages}</td><td class="num">${r.failed}</td>
          <td class="num">${r.leads}</td><td class="num">${r.newLeads}</td><td class="failures">${reasonList(r.id, r.failures)}</td></tr>`,
          )
        : html`<tr><td colspan="10" class="empty">No crawl recorded yet: run <code>spiderweb crawl</code>.</td></tr>`
    }</tbody></table>`,
  );
}

function crawlPage(
  ctx: PageContext,
  r: CrawlRow,
  reason: string | undefined,
  failed: Awaited<ReturnType<Store['failedPages']>>,
): string {
  return layout(
    `Crawl ${r.id}`,
    ctx,
    html`<p class="crumbs"><a href="/crawls">← crawls</a></p>
    <h1>Crawl ${r.id} <span class="count">${r.state}</span></h1>
    ${r.reason ? html`<p class="reason">${r.reason}</p>` : ''}
    <p>${r.sites.join(', ')} · started ${when(r.startedAt)}${r.finishedAt ? html` · finished ${when(r.finishedAt)}` : ''} ·
      ${r.pages} page(s), ${r.failed} failed, ${r.leads} lead(s) (${r.newLeads} new)</p>
    <p>Failures by reason: ${reasonList(r.id, r.failures)}${reason ? html` · <a href="/crawls/${encodeURIComponent(r.id)}">all reasons</a>` : ''}</p>
    <h2>Failed URLs${reason ? html` (${reason})` : ''} <span class="count">${failed.length}</span></h2>
    <table class="failed" id="failed"><thead><tr><th>reason</th><th>site</th><th>URL (not a link: the page is hostile)</th><th>message</th><th>when</th></tr></thead>
    <tbody>${failed.map(
      (p) =>
        html`<tr><td>${p.fail_reason ?? ''}</td><td>${p.site_id}</td><td class="url">${p.url}</td><td class="note">${p.fail_message ?? ''}</td><td class="when">${when(p.last_fetched)}</td></tr>`,
    )}</tbody></table>`,
  );
}

export function registerCrawls(app: Hono<ReviewEnv>, deps: AppDeps): void {
  const ctx = (c: Context<ReviewEnv>) => pageCtx(c, deps.queueCounts !== undefined);
  app.get('/crawls', async (c) => c.html(crawlsPage(ctx(c), await crawlRows(deps.store))));
  app.get('/crawls/:id', async (c) => {
    const id = c.req.param('id');
    const row = await crawlRow(deps.store, id);
    if (!row) return c.html(errorPage(ctx(c), 404, 'No such crawl.'), 404);
    const reason = c.req.query('reason')?.slice(0, 64) || undefined;
    return c.html(crawlPage(ctx(c), row, reason, await deps.store.failedPages(id, reason)));
  });
}
