import { encodeCursor, filterParams, type QueueFilter, SORTS, STATUSES } from './filters.ts';
import { html, join } from './html.ts';
import type { QueueExtra } from './queries.ts';
import type { QueuePage, SavedFilter } from '../leads/index.ts';
import { layout, type PageContext, when } from './view-layout.ts';

export interface QueueViewData {
  filter: QueueFilter;
  /** The raw query string values, to refill the form as typed. */
  params: URLSearchParams;
  page: QueuePage;
  total: { n: number; capped: boolean };
  counts: Record<string, number>;
  facets: { sites: string[]; categories: string[]; langs: string[] };
  extras: Map<number, QueueExtra>;
  /** The signed-in analyst's saved filters. */
  saved: SavedFilter[];
  /** Decisions just made (bulk), each with an undo button. */
  decided: Array<{ id: number; lead_id: number | null; action: string; note: string | null }>;
  me: string;
}

const PAST: Record<string, string> = { confirm: 'confirmed', dismiss: 'dismissed', escalate: 'escalated' };

export type JustDecided = QueueViewData['decided'];

/** The decisions just made (`?decided=` audit ids), each with an Undo button that comes back to `back`. */
export function decidedNotice(ctx: PageContext, decided: JustDecided, back: string) {
  if (!decided.length) return '';
  return html`<div class="notice" id="decided"><p>${decided.length} decision(s) recorded${decided[0]?.note ? html` with the note <q>${decided[0].note}</q>` : ''}. Undo any of them for the next few minutes:</p>
    <ul>${decided.map(
      (a) => html`<li>#${a.lead_id ?? ''} ${PAST[a.action] ?? a.action}
        <form method="post" action="/audit/${a.id}/undo" class="row-form undo">
          <input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><input type="hidden" name="back" value="${back}">
          <button type="submit" data-lead="${a.lead_id ?? ''}">Undo</button></form></li>`,
    )}</ul></div>`;
}

function savedPanel(ctx: PageContext, d: QueueViewData, qs: string) {
  return html`<div class="saved" id="saved-filters">
    <span>My filters:</span>
    <a href="/?status=all&amp;claimed=${encodeURIComponent(d.me)}">claimed by me</a>
    ${d.saved.map(
      (f) => html`<span class="saved-filter"><a href="/?${f.query}">${f.name}</a>
        <form method="post" action="/filters/${f.id}/delete" class="row-form">
          <input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><button type="submit" class="link" title="delete this saved filter">×</button></form></span>`,
    )}
    <form method="post" action="/filters" class="row-form">
      <input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><input type="hidden" name="query" value="${qs}">
      <input name="name" size="14" maxlength="80" placeholder="name this filter" required>
      <button type="submit">Save filter</button></form>
  </div>`;
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
    <label class="grow">Search <input type="search" name="q" value="${p.get('q') ?? ''}" placeholder="title, substance, wallet, @handle"></label>
    <label title="also look in each page's whole text: a scan of every page, slower"><input type="checkbox" name="in_text" value="1" ${d.filter.inText ? html`checked` : ''}> in page text</label>
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
  const back = `/?${qs}`;
  const rows = d.page.rows.map((r) => {
    const substances = (JSON.parse(r.substances) as string[]).join(', ');
    const x = d.extras.get(r.id);
    return html`<tr data-id="${r.id}" data-href="/leads/${r.id}?${qs}">
      <td><input type="checkbox" name="id" value="${r.id}" form="bulk" aria-label="select lead ${r.id}"></td>
      <td class="num">${r.score.toFixed(2)}</td>
      <td><span class="status s-${r.status}">${r.status}</span>${r.gone_at ? html` <span class="gone">gone</span>` : ''}${x?.claimedBy ? html` <span class="claim" title="claimed">${x.claimedBy}</span>` : ''}</td>
      <td>${r.category ?? ''}</td>
      <td>${substances}</td>
      <td class="field">${x?.fields.price ?? ''}</td>
      <td class="field">${x?.fields.quantity ?? ''}</td>
      <td class="field">${x?.fields.vendor ?? ''}</td>
      <td class="field">${x?.fields.city ?? ''}</td>
      <td class="num">${x?.identifiers ?? ''}</td>
      <td class="num">${x && x.clusterSize > 1 ? html`<a href="/clusters/${r.cluster_id}">${x.clusterSize}</a>` : ''}</td>
      <td>${r.site_id}</td>
      <td>${r.lang ?? ''}</td>
      <td class="title"><a href="/leads/${r.id}?${qs}">${r.title.slice(0, 160) || '(no title)'}</a></td>
      <td class="when">${when(r.last_seen)}</td>
    </tr>`;
  });
  const body = html`<h1>Leads <span class="count">${d.total.n}${d.total.capped ? '+' : ''} matching</span></h1>
    ${decidedNotice(ctx, d.decided, back)}
    ${tabs(d)}
    ${filterForm(d)}
    ${savedPanel(ctx, d, qs)}
    <p class="keys">Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>x</kbd> select · <kbd>Enter</kbd> open ·
      <kbd>c</kbd> confirm · <kbd>d</kbd> dismiss · <kbd>e</kbd> escalate · <kbd>z</kbd> undo ·
      <label class="inline"><input type="checkbox" id="confirm-keys"> ask before a key decides</label> ·
      Export: <a href="/export.csv?${qs}">CSV</a> · <a href="/export.jsonl?${qs}">JSONL</a></p>
    <div id="toast" class="toast" hidden role="status"><span class="msg"></span> <button type="button">Undo <kbd>z</kbd></button></div>
    <form method="post" action="/leads/bulk" id="bulk" class="bulk">
      <input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><input type="hidden" name="back" value="${back}">
      <label>Selected leads:
        <select name="decision"><option value="dismiss">dismiss</option><option value="confirm">confirm</option><option value="escalate">escalate</option></select></label>
      <input name="note" size="40" maxlength="4000" placeholder="note for every selected lead">
      <button type="submit" id="bulk-apply">Apply to selected</button>
    </form>
    <table class="queue" id="queue">
      <thead><tr><th><input type="checkbox" id="select-all" aria-label="select every lead on this page"></th><th>score</th><th>status</th><th>category</th><th>substances</th><th>price</th><th>qty</th><th>vendor</th><th>city</th><th title="identifiers on the page">ids</th><th title="leads sharing an identifier">cluster</th><th>site</th><th>lang</th><th>title</th><th>last seen</th></tr></thead>
      <tbody>${rows.length ? join(rows) : html`<tr><td colspan="15" class="empty">No leads match.</td></tr>`}</tbody>
    </table>
    <p class="pager">
      ${d.page.prev ? html`<a href="${pageLink('before', d.page.prev)}" rel="prev" id="prev-page">← previous</a>` : ''}
      ${d.page.next ? html`<a href="${pageLink('after', d.page.next)}" rel="next" id="next-page">next →</a>` : ''}
    </p>`;
  return layout('Queue', ctx, body, { page: 'queue' });
}
