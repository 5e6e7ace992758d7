import { type LintFinding, type LintResult, scoreText } from '../classify/index.ts';
import type { LeadChange, LeadState, LexiconVersionRow, RescoreDiff } from '../leads/index.ts';
import { html, type SafeHtml } from './html.ts';
import { layout, type PageContext, when } from './view-layout.ts';

/** The lexicon directory in force as the app found it on disk. */
export interface DiskLexicons {
  dir: string;
  /** Version (content hash) of the compiled files; null when they do not compile. */
  version: string | null;
  /** Why the files do not compile (file:line: message). */
  error: string | null;
  lint: LintResult | null;
  /** Why the directory could not be read for linting. */
  readError: string | null;
  checkedAt: string;
}

/** One lexicon version seen in the store. */
export interface WhatIfForm {
  dir: string;
  since: string;
  site: string;
}

export type WhatIfResult =
  | { kind: 'refused'; message: string }
  | { kind: 'invalid'; dir: string; lint: LintResult }
  | { kind: 'too-many'; dir: string; pages: number; since: string }
  | {
      kind: 'diff';
      dir: string;
      lint: LintResult;
      diff: RescoreDiff;
      ms: number;
      since: string;
      /** Version of the lexicons in force used for the "before" terms of pages without a lead. */
      baseline: string | null;
    };

const LIST_LIMIT = 100;
const FINDINGS_LIMIT = 500;

export function lexiconsPage(
  ctx: PageContext,
  d: { disk: DiskLexicons | null; versions: LexiconVersionRow[]; form: WhatIfForm; maxPages: number },
): string {
  const { disk } = d;
  const current = disk?.version ?? null;
  return layout(
    'Lexicons',
    ctx,
    html`<h1>Lexicons</h1>
    <section id="in-force"><h2>In force</h2>
    ${
      disk
        ? html`<dl class="evidence">
        <dt>Directory</dt><dd class="url">${disk.dir}</dd>
        <dt>Version</dt><dd>${disk.version ? html`<strong id="lexicon-version">${disk.version}</strong>` : html`<span class="error">does not compile</span>`}</dd>
        <dt>Checked</dt><dd>${when(disk.checkedAt)} UTC</dd>
      </dl>
      ${disk.error ? html`<p class="warn" role="alert">The files on disk are refused: ${disk.error}. Running workers keep the lexicons they loaded last.</p>` : ''}`
        : html`<p class="hint">No lexicon directory configured for this app (<code>spiderweb serve</code> passes <code>config/lexicons</code>).</p>`
    }
    </section>
    <section id="changelog"><h2>Change log <span class="count">versions recorded by classifications in the store</span></h2>
    ${d.versions.length ? versionsTable(d.versions, current) : html`<p class="hint">No classification recorded yet.</p>`}
    </section>
    <section id="lint"><h2>Lint of the files on disk</h2>
    ${disk ? lintSection(disk) : html`<p class="hint">Nothing to lint.</p>`}
    </section>
    <section id="what-if"><h2>What-if</h2>
    ${whatIfFormView(d.form, d.maxPages)}
    </section>`,
  );
}

function versionsTable(rows: LexiconVersionRow[], current: string | null): SafeHtml {
  return html`<table><thead><tr><th>version</th><th>first recorded (UTC)</th><th>last recorded (UTC)</th><th>classifications</th><th>leads now</th></tr></thead>
    <tbody>${rows.map(
      (
        v,
      ) => html`<tr><td><code>${v.version}</code>${v.version === current ? html` <strong>in force</strong>` : ''}</td>
        <td class="when">${when(v.first)}</td><td class="when">${when(v.last)}${v.fromHistory ? '' : html` <span class="hint">(lead last seen; no history)</span>`}</td>
        <td class="num">${v.events}</td><td class="num">${v.leads}${v.rows > v.leads ? html` <span class="hint">+${v.rows - v.leads} dropped</span>` : ''}</td></tr>`,
    )}</tbody></table>`;
}

function lintSection(disk: DiskLexicons): SafeHtml {
  if (disk.readError) return html`<p class="error">${disk.readError}</p>`;
  if (!disk.lint) return html``;
  return html`${lintSummary(disk.lint)}${findingsTable(disk.lint.findings)}`;
}

function lintSummary(l: LintResult): SafeHtml {
  return html`<p id="lint-summary">${l.errors ? html`<span class="error">${l.errors} error(s)</span>` : '0 error(s)'}, ${l.warnings} warning(s) in ${l.files} file(s) (${l.terms} terms, ${l.forms} forms)</p>`;
}

export function findingsTable(findings: LintFinding[]): SafeHtml {
  if (findings.length === 0) return html``;
  const shown = findings.slice(0, FINDINGS_LIMIT);
  return html`<table class="findings"><thead><tr><th>file:line:col</th><th>severity</th><th>message</th><th>field</th></tr></thead>
    <tbody>${shown.map(
      (f) => html`<tr data-severity="${f.severity}"><td class="url">${f.file}:${f.line}:${f.column}</td>
        <td>${f.severity === 'error' ? html`<span class="error">error</span>` : 'warning'}</td>
        <td>${f.message}</td><td class="detail">${f.field ?? ''}</td></tr>`,
    )}</tbody></table>
    ${findings.length > shown.length ? html`<p class="hint">… ${findings.length - shown.length} more: run <code>spiderweb lexicon lint</code>.</p>` : ''}`;
}

function whatIfFormView(form: WhatIfForm, maxPages: number): SafeHtml {
  return html`<form method="get" action="/lexicons/what-if" class="filters">
      <label class="grow">Proposed lexicon directory <input name="dir" value="${form.dir}" placeholder="/srv/spiderweb/lexicons-next" required></label>
      <label>Pages fetched since <input name="since" value="${form.since}" size="12" placeholder="YYYY-MM-DD"></label>
      <label>Site <input name="site" value="${form.site}" size="12" placeholder="all"></label>
      <button type="submit">Run what-if</button>
    </form>
    <p class="hint">The directory is read on the server: give the absolute path of an existing directory on it
      (its <code>*.yaml</code> files are read). The stored pages are classified again with those lexicons
      and compared with the current leads; nothing is written (to apply: <code>spiderweb rescore --lexicons DIR --apply</code>).
      At most ${maxPages} pages per run, by default those fetched in the last 30 days: narrow by date or site, or use the CLI.</p>`;
}

export function whatIfPage(
  ctx: PageContext,
  d: { form: WhatIfForm; result: WhatIfResult | null; maxPages: number },
): string {
  return layout(
    'What-if',
    ctx,
    html`<p class="crumbs"><a href="/lexicons">Lexicons</a> ›</p>
    <h1>What-if rescoring</h1>
    ${whatIfFormView(d.form, d.maxPages)}
    ${d.result ? resultView(d.result, d.maxPages) : ''}`,
  );
}

function resultView(r: WhatIfResult, maxPages: number): SafeHtml {
  switch (r.kind) {
    case 'refused':
      return html`<p class="error" role="alert" id="what-if-error">${r.message}</p>`;
    case 'invalid':
      return html`<section id="what-if-result"><h2>The proposed lexicons do not load</h2>
        <p class="error" role="alert">Fix these errors in <span class="url">${r.dir}</span> first: nothing was rescored.</p>
        ${lintSummary(r.lint)}${findingsTable(r.lint.findings)}</section>`;
    case 'too-many':
      return html`<p class="warn" role="alert" id="what-if-error">${r.pages} pages were fetched since ${when(r.since)}: more than ${maxPages}.
        Narrow by date or site, or run <code>spiderweb rescore --lexicons ${r.dir}</code>.</p>`;
    case 'diff':
      return diffView(r);
  }
}

function diffView(r: Extract<WhatIfResult, { kind: 'diff' }>): SafeHtml {
  const d = r.diff;
  const total = d.added.length + d.dropped.length + d.changed.length + d.rescored.length;
  const markets = d.sites.filter((s) => s.inferred && s.kind === 'marketplace').map((s) => s.siteId);
  return html`<section id="what-if-result"><h2>Result <span class="count">nothing written</span></h2>
    <p id="what-if-summary">Rescored <strong>${d.pages}</strong> page(s) fetched since ${when(r.since)} in <strong>${r.ms} ms</strong>
      with lexicons <code>${d.lexiconVersion}</code> from <span class="url">${r.dir}</span>.
      Current leads were classified with ${d.currentVersions.length ? d.currentVersions.join(', ') : '-'}${r.baseline ? html`; pages without a lead are compared with the lexicons in force (<code>${r.baseline}</code>)` : ''}.</p>
    ${markets.length ? html`<p class="hint">Judged as marketplaces from their past leads: ${markets.join(', ')}.</p>` : ''}
    <p>Leads: ${d.leadsBefore} → ${d.leadsAfter} · <strong>+${d.added.length}</strong> new · <strong>−${d.dropped.length}</strong> dropped ·
      ${d.changed.length} category or kind changed · ${d.rescored.length} rescored</p>
    ${
      d.flagged.length
        ? html`<div class="warn" role="alert" id="flagged"><p><strong>!! ${d.flagged.length} dropped lead(s) that analysts confirmed or escalated</strong></p>
      <ul>${d.flagged.map((c) => html`<li><strong>${(c.status ?? '').toUpperCase()}</strong> lead ${leadLink(c)} ${score(c.before)} → ${score(c.after)}: ${c.title.slice(0, 120)} <span class="url">${c.url}</span></li>`)}</ul></div>`
        : ''
    }
    ${r.lint.findings.length ? html`<details><summary>${r.lint.warnings} lint warning(s) in the proposed files</summary>${findingsTable(r.lint.findings)}</details>` : ''}
    ${section('New leads', 'new', d.added)}
    ${section('Dropped leads', 'dropped', d.dropped)}
    ${section('Category or kind changed', 'changed', d.changed)}
    ${section('Rescored (same category and kind)', 'rescored', d.rescored)}
    ${
      d.terms.length
        ? html`<h2>Terms responsible</h2>
      <table id="terms"><thead><tr><th>group</th><th>term</th><th>new leads</th><th>dropped leads</th><th>changed</th></tr></thead>
      <tbody>${d.terms
        .slice(0, LIST_LIMIT)
        .map(
          (t) =>
            html`<tr><td>${t.group}</td><td>${t.term}</td><td class="num">${t.added}</td><td class="num">${t.dropped}</td><td class="num">${t.changed}</td></tr>`,
        )}</tbody></table>`
        : ''
    }
    ${total === 0 ? html`<p>No differences.</p>` : ''}
    </section>`;
}

function section(title: string, id: string, list: LeadChange[]): SafeHtml {
  if (list.length === 0) return html``;
  const shown = list.slice(0, LIST_LIMIT);
  return html`<h2>${title} <span class="count">${list.length}</span></h2>
    <table class="queue" id="${id}"><thead><tr><th>lead</th><th>status</th><th>site</th><th>score</th><th>kind / category</th><th>title</th><th>terms</th></tr></thead>
    <tbody>${shown.map(
      (
        c,
      ) => html`<tr${c.flagged ? html` class="failed"` : ''}><td>${leadLink(c)}${c.flagged ? html` <strong class="error">!! ${c.status}</strong>` : ''}</td>
        <td>${c.status ? html`<span class="status s-${c.status}">${c.status}</span>` : html`<span class="hint">no lead</span>`}</td>
        <td>${c.siteId}</td><td class="num">${score(c.before)} → ${score(c.after)}</td>
        <td>${kindCat(c.before)} → ${kindCat(c.after)}</td>
        <td class="title">${c.title.slice(0, 160)}<br><span class="url">${c.url}</span></td>
        <td>${terms(c)}</td></tr>`,
    )}</tbody></table>
    ${list.length > shown.length ? html`<p class="hint">… ${list.length - shown.length} more: <code>spiderweb rescore --json</code> lists them all.</p>` : ''}`;
}

function leadLink(c: LeadChange): SafeHtml {
  return c.leadId === null ? html`page ${c.pageId}` : html`<a href="/leads/${c.leadId}">#${c.leadId}</a>`;
}

function score(s: LeadState | null): string {
  return s ? scoreText(s.score, s.lead) : '-';
}

function kindCat(s: LeadState | null): string {
  return s?.lead || s?.kind ? `${s.kind ?? '-'} / ${s.category ?? '-'}` : 'not a lead';
}

function terms(c: LeadChange): SafeHtml {
  const forms = (f: string[]) => (f.length ? ` «${f.slice(0, 3).join('», «')}»` : '');
  return html`${c.termsAdded.map((t) => html`<div>+ ${t.group}: ${t.term}${forms(t.forms)}</div>`)}${c.termsRemoved.map(
    (t) => html`<div>− ${t.group}: ${t.term}${forms(t.forms)}</div>`,
  )}${c.termsReweighted.map((t) => html`<div>${t.group}: ${t.term} ${t.before} → ${t.after}</div>`)}`;
}
