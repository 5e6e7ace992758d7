import { encodeCursor, filterParams, type QueueFilter, SORTS, STATUSES } from './filters.ts';
import { html, join } from './html.ts';
import type { QueuePage } from './queries.ts';
import { layout, type PageContext, when } from './view-layout.ts';

export interface QueueViewData {
  filter: QueueFilter;
  /** The raw query string values, to refill the form as typed. */
  params: URLSearchParams;
  page: QueuePage;
  total: { n: number; capped: boolean };
  counts: Record<string, number>;
  facets: { sites: string[]; categories: string[]; langs: string[] };
}

const SORT_LABELS: Record<(typeof SORTS)[number], string> = {
  score: 'score',
  last_seen: 'last seen',
  first_seen: 'first seen',
  id: 'id',
};

function select(name: string, label: string, values: string[], chosen: string[]) {
  return html`<label>${label}
    <select name="${name}">
      <option value="">any</option>
      ${values.map((v) => html`<option value="${v}" ${chosen.includes(v) ? html`selected` : ''}>${v}</option>`)}
    </select></label>`;
}

function filterForm(d: QueueViewData) {
  const p = d.params;
  const chosen = d.filter.status ?? [];
  const statusValue = chosen.length ? chosen.join(',') : 'all';
  return html`<form method="get" action="/" class="filters" id="filters">
    <label class="grow">Search <input type="search" name="q" value="${p.get('q') ?? ''}" placeholder="words in the title or text"></label>
    <label>Status
      <select name="status">
        ${['new', 'escalated', 'confirmed', 'dismissed', 'all'].map(
          (s) => html`<option value="${s}" ${s === statusValue ? html`selected` : ''}>${s}</option>`,
        )}
      </select></label>
    ${select('category', 'Category', d.facets.categories, d.filter.category ?? [])}
    ${select('site', 'Site', d.facets.sites, d.filter.site ?? [])}
    ${select('lang', 'Language', d.facets.langs, d.filter.lang ?? [])}
    <label>Substance <input name="substance" value="${p.get('substance') ?? ''}" size="12"></label>
    <label>Identifier <input name="identifier" value="${p.get('identifier') ?? ''}" size="18" placeholder="wallet, @handle, card"></label>
    <label>Score ≥ <input name="min_score" type="number" min="0" max="1" step="0.05" value="${p.get('min_score') ?? ''}"></label>
    <label>Seen from <input name="since" type="date" value="${p.get('since') ?? ''}"></label>
    <label>to <input name="until" type="date" value="${p.get('until') ?? ''}"></label>
    <label>Sort
      <select name="sort">
        ${SORTS.map((s) => html`<option value="${s}" ${s === d.filter.sort ? html`selected` : ''}>${SORT_LABELS[s]}</option>`)}
      </select></label>
    <label>Order
      <select name="dir">
        <option value="desc" ${d.filter.dir === 'desc' ? html`selected` : ''}>descending</option>
        <option value="asc" ${d.filter.dir === 'asc' ? html`selected` : ''}>ascending</option>
      </select></label>
    <button type="submit">Filter</button>
    <a href="/">Reset</a>
  </form>`;
}

function tabs(d: QueueViewData) {
  const current = d.filter.status?.length === 1 ? d.filter.status[0] : d.filter.status ? '' : 'all';
  const link = (s: string) => {
    const p = filterParams({ ...d.filter });
    p.set('status', s);
    return `/?${p}`;
  };
  const all = Object.values(d.counts).reduce((a, b) => a + b, 0);
  return html`<ul class="tabs">
    ${[...STATUSES, 'all'].map(
      (s) =>
        html`<li><a href="${link(s)}" class="${s === current ? 'on' : ''}">${s} <span class="n">${s === 'all' ? all : (d.counts[s] ?? 0)}</span></a></li>`,
    )}
  </ul>`;
}

export function queueView(ctx: PageContext, d: QueueViewData): string {
  const qs = filterParams(d.filter).toString();
  const pageLink = (key: 'after' | 'before', c: { v: number | string; id: number }) => {
    const p = new URLSearchParams(qs);
    if (d.params.get('limit')) p.set('limit', d.params.get('limit')!);
    p.set(key, encodeCursor(c));
    return `/?${p}`;
  };
  const rows = d.page.rows.map((r) => {
    const substances = (JSON.parse(r.substances) as string[]).join(', ');
    return html`<tr data-id="${r.id}" data-href="/leads/${r.id}?${qs}">
      <td class="num">${r.score.toFixed(2)}</td>
      <td><span class="status s-${r.status}">${r.status}</span>${r.gone_at ? html` <span class="gone">gone</span>` : ''}</td>
      <td>${r.category ?? ''}</td>
      <td>${substances}</td>
      <td>${r.site_id}</td>
      <td>${r.lang ?? ''}</td>
      <td class="title"><a href="/leads/${r.id}?${qs}">${r.title.slice(0, 160) || '(no title)'}</a></td>
      <td class="when">${when(r.last_seen)}</td>
    </tr>`;
  });
  const body = html`<h1>Leads <span class="count">${d.total.n}${d.total.capped ? '+' : ''} matching</span></h1>
    ${tabs(d)}
    ${filterForm(d)}
    <p class="keys">Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>Enter</kbd> open ·
      <kbd>c</kbd> confirm · <kbd>d</kbd> dismiss · <kbd>e</kbd> escalate ·
      Export: <a href="/export.csv?${qs}">CSV</a> · <a href="/export.jsonl?${qs}">JSONL</a></p>
    <table class="queue" id="queue">
      <thead><tr><th>score</th><th>status</th><th>category</th><th>substances</th><th>site</th><th>lang</th><th>title</th><th>last seen</th></tr></thead>
      <tbody>${rows.length ? join(rows) : html`<tr><td colspan="8" class="empty">No leads match.</td></tr>`}</tbody>
    </table>
    <p class="pager">
      ${d.page.prev ? html`<a href="${pageLink('before', d.page.prev)}" rel="prev" id="prev-page">← previous</a>` : ''}
      ${d.page.next ? html`<a href="${pageLink('after', d.page.next)}" rel="next" id="next-page">next →</a>` : ''}
    </p>`;
  return layout('Queue', ctx, body, { page: 'queue' });
}
