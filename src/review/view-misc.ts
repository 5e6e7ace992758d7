import type { ClusterView } from '../leads/index.ts';
import type { AuditRow } from '../leads/index.ts';
import { html } from './html.ts';
import { layout, type PageContext, when } from './view-layout.ts';

export function clusterPage(ctx: PageContext, c: ClusterView): string {
  return layout(
    `Cluster ${c.clusterId}`,
    ctx,
    html`<h1>Cluster #${c.clusterId} <span class="count">${c.leads.length} lead(s) on ${c.sites.join(', ')}</span></h1>
    <p>First seen ${when(c.firstSeen)}, last seen ${when(c.lastSeen)} (UTC).</p>
    <h2>Leads</h2>
    <table class="queue"><thead><tr><th>lead</th><th>score</th><th>site</th><th>category</th><th>found via</th><th>title</th></tr></thead>
    <tbody>${c.leads.map(
      (
        l,
      ) => html`<tr><td><a href="/leads/${l.id}">#${l.id}</a></td><td class="num">${l.score.toFixed(2)}</td><td>${l.siteId}</td>
        <td>${l.category ?? ''}</td><td>${l.foundVia}</td><td class="title">${l.title.slice(0, 160)}</td></tr>`,
    )}</tbody></table>
    <h2>Shared identifiers</h2>
    <table><thead><tr><th>type</th><th>value</th><th>leads</th><th>validated</th></tr></thead>
    <tbody>${c.identifiers.map(
      (
        i,
      ) => html`<tr><td>${i.type}</td><td><a href="/?status=all&amp;identifier=${encodeURIComponent(`${i.type}:${i.value}`)}">${i.value}</a></td>
        <td class="num">${i.leads}</td><td>${i.validated}</td></tr>`,
    )}</tbody></table>`,
  );
}

export function auditPage(
  ctx: PageContext,
  rows: AuditRow[],
  query: { lead?: string; analyst?: string; action?: string },
): string {
  const last = rows.at(-1);
  const more = new URLSearchParams(
    Object.entries({ ...query, before: last ? String(last.id) : '' }).filter(([, v]) => v) as Array<
      [string, string]
    >,
  );
  return layout(
    'Audit log',
    ctx,
    html`<h1>Audit log <span class="count">append-only</span></h1>
    <form method="get" action="/audit" class="filters">
      <label>Lead <input name="lead" value="${query.lead ?? ''}" size="8"></label>
      <label>Analyst <input name="analyst" value="${query.analyst ?? ''}" size="12"></label>
      <label>Action <select name="action">
        ${['', 'view', 'confirm', 'dismiss', 'escalate', 'login', 'login-failed', 'logout', 'export'].map(
          (a) =>
            html`<option value="${a}" ${a === (query.action ?? '') ? html`selected` : ''}>${a || 'any'}</option>`,
        )}
      </select></label>
      <button type="submit">Filter</button>
    </form>
    <table class="audit" id="audit"><thead><tr><th>#</th><th>when (UTC)</th><th>analyst</th><th>action</th><th>lead</th><th>note</th><th>detail</th></tr></thead>
    <tbody>${rows.map(
      (
        r,
      ) => html`<tr data-action="${r.action}"><td class="num">${r.id}</td><td class="when">${r.at.replace('T', ' ').slice(0, 19)}</td><td>${r.analyst}</td>
        <td>${r.action}</td><td>${r.lead_id !== null ? html`<a href="/leads/${r.lead_id}">#${r.lead_id}</a>` : ''}</td>
        <td class="note">${r.note ?? ''}</td><td class="detail">${r.detail ?? ''}</td></tr>`,
    )}</tbody></table>
    ${rows.length === 100 ? html`<p class="pager"><a href="/audit?${more.toString()}">older →</a></p>` : ''}`,
  );
}

export function identifiersPage(
  ctx: PageContext,
  rows: Array<{
    type: string;
    value: string;
    leads: number;
    pages: number;
    clusters: number;
    validated: string;
    last_seen: string;
  }>,
): string {
  return layout(
    'Identifiers',
    ctx,
    html`<h1>Identifiers <span class="count">linked to the most leads first</span></h1>
    <table><thead><tr><th>type</th><th>value</th><th>leads</th><th>pages</th><th>clusters</th><th>validated</th><th>last seen</th></tr></thead>
    <tbody>${rows.map(
      (
        i,
      ) => html`<tr><td>${i.type}</td><td><a href="/?status=all&amp;identifier=${encodeURIComponent(`${i.type}:${i.value}`)}">${i.value}</a></td>
        <td class="num">${i.leads}</td><td class="num">${i.pages}</td><td class="num">${i.clusters}</td><td>${i.validated}</td><td class="when">${when(i.last_seen)}</td></tr>`,
    )}</tbody></table>`,
  );
}

export function queuesPage(ctx: PageContext, counts: Record<string, Record<string, number>>): string {
  const states = [...new Set(Object.values(counts).flatMap((c) => Object.keys(c)))].sort();
  return layout(
    'Queues',
    ctx,
    html`<h1>Queues</h1>
    <table><thead><tr><th>queue</th>${states.map((s) => html`<th>${s}</th>`)}</tr></thead>
    <tbody>${Object.entries(counts).map(
      ([name, c]) =>
        html`<tr><td>${name}</td>${states.map((s) => html`<td class="num">${c[s] ?? 0}</td>`)}</tr>`,
    )}</tbody></table>`,
  );
}
