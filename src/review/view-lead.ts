import { type HighlightSpan, highlight, html, join } from './html.ts';
import { reasonRows, scoreSentence } from './fields.ts';
import { decidedNotice, type JustDecided } from './view-queue.ts';
import type { LeadDetail, StoredReason } from './lead-detail.ts';
import { layout, type PageContext, when } from './view-layout.ts';

/** Longest text shown; a longer one is cut (the highlights past it are listed in the reasons). */
const MAX_TEXT = 100_000;

const spanOf = (r: StoredReason): HighlightSpan => ({
  span: r.span,
  kind: r.weight < 0 || r.contribution < 0 ? 'neg' : 'pos',
  label: `${r.term} (${r.group}, ${r.weight.toFixed(2)})`,
});

function decisionForm(d: LeadDetail, csrf: string, back: string) {
  return html`<form method="post" action="/leads/${d.lead.id}/decision" class="decide" id="decide">
    <input type="hidden" name="_csrf" value="${csrf}">
    <input type="hidden" name="back" value="${back}">
    <label>Note <textarea name="note" rows="3" maxlength="4000" placeholder="why (optional)"></textarea></label>
    <div class="buttons">
      <button type="submit" name="decision" value="confirm" class="confirm" data-key="c">Confirm <kbd>c</kbd></button>
      <button type="submit" name="decision" value="dismiss" class="dismiss" data-key="d">Dismiss as false positive <kbd>d</kbd></button>
      <button type="submit" name="decision" value="escalate" class="escalate" data-key="e">Escalate <kbd>e</kbd></button>
    </div>
  </form>`;
}

function claimForm(d: LeadDetail, ctx: PageContext & { csrf: string }, back: string) {
  const mine = d.claim?.analyst === ctx.analyst;
  const action = d.claim ? 'release' : 'claim';
  return html`${d.claim ? html`<span id="claimed-by">${d.claim.analyst}</span> since ${when(d.claim.claimed_at)} ` : 'nobody '}
    <form method="post" action="/leads/${d.lead.id}/${action}" class="row-form" id="claim">
      <input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="back" value="${back}">
      <button type="submit">${d.claim ? (mine ? 'Release' : `Release ${d.claim.analyst}'s claim`) : 'Claim it'}</button></form>`;
}

function evidencePanel(d: LeadDetail) {
  const ev = d.evidence;
  if (!ev)
    return html`<section class="evidence"><h2>Evidence</h2><p class="muted">No evidence captured for this lead.</p></section>`;
  const file = (name: string) => `/leads/${d.lead.id}/evidence/${encodeURIComponent(name)}`;
  return html`<section class="evidence"><h2>Evidence</h2>
    <dl>
      <dt>Captured</dt><dd>${ev.capturedAt ?? 'unknown'} (UTC)</dd>
      ${ev.finalUrl ? html`<dt>Final URL</dt><dd class="url">${ev.finalUrl}</dd>` : ''}
      ${ev.status !== null ? html`<dt>Status</dt><dd>${ev.status}</dd>` : ''}
    </dl>
    <p><a href="/leads/${d.lead.id}/evidence.wacz" id="evidence-bundle" download>Download the evidence bundle (WACZ)</a>:
      WARC, screenshot, text, manifest and this lead's reasons and decisions, with the SHA-256 of every file;
      check it with <code>spiderweb evidence verify</code>.</p>
    ${ev.truncated ? html`<p class="error" id="evidence-truncated">Truncated: the page was larger than the site's fetch.maxBytes, so this capture holds only its beginning.</p>` : ''}
    ${
      ev.screenshot
        ? html`<a href="${file('screenshot.png')}" id="screenshot-full" title="open the screenshot at full size"><img class="shot" src="${file('screenshot.png')}" alt="screenshot of the page at capture"></a>`
        : html`<p class="warn" id="no-screenshot">no screenshot: ${ev.noScreenshot ?? 'not taken'}</p>`
    }
    <table class="hashes"><thead><tr><th>file</th><th>SHA-256</th><th>bytes</th></tr></thead><tbody>
      ${ev.files.map((f) => html`<tr><td><a href="${file(f.name)}" download>${f.name}</a></td><td class="hash">${f.sha256}</td><td class="num">${f.bytes ?? ''}</td></tr>`)}
    </tbody></table>
  </section>`;
}

export function leadView(
  ctx: PageContext & { csrf: string },
  d: LeadDetail,
  nav: { next: number | null; prev: number | null; qs: string; decided?: JustDecided },
): string {
  const l = d.lead;
  const substances = JSON.parse(l.substances) as string[];
  const text = d.text.length > MAX_TEXT ? d.text.slice(0, MAX_TEXT) : d.text;
  // Matched terms are marked in the text; the model's features have their own table below.
  const matched = d.reasons.filter((r) => r.group !== 'learned');
  const body = highlight(text, matched.filter((r) => r.in !== 'title').map(spanOf));
  const title = highlight(d.titleText, matched.filter((r) => r.in === 'title').map(spanOf));
  const stale = matched.filter((r) => {
    const src = r.in === 'title' ? d.titleText : d.text;
    return src.slice(r.span[0], r.span[1]) !== r.form;
  }).length;
  const q = nav.qs ? `?${nav.qs}` : '';
  const all = reasonRows(d.reasons);
  // The learned layer's features weigh the model's logit, not the lexicon score: a table of their own.
  const rows = all.filter((r) => r.group !== 'learned');
  const learned = all.filter((r) => r.group === 'learned');
  const here = `/leads/${l.id}${q}`;
  const main = html`<p class="crumbs"><a href="/${q}">← queue</a>
      ${nav.prev ? html`<a href="/leads/${nav.prev}${q}" rel="prev" id="prev-lead">previous <kbd>k</kbd></a>` : ''}
      ${nav.next ? html`<a href="/leads/${nav.next}${q}" rel="next" id="next-lead">next <kbd>j</kbd></a>` : ''}</p>
    ${decidedNotice(ctx, nav.decided ?? [], `/leads/${l.id}${q}`)}
    <h1 class="lead-title">${title.html}</h1>
    <dl class="facts">
      <dt>Lead</dt><dd>#${l.id} · <span class="status s-${l.status}" id="lead-status">${l.status}</span>${l.gone_at ? html` · <span class="gone">gone since ${when(l.gone_at)}</span>` : ''}</dd>
      <dt>Score</dt><dd>${l.score.toFixed(3)} · ${l.kind ?? ''} · ${l.category ?? 'no category'}</dd>
      <dt>Substances</dt><dd>${substances.join(', ') || '—'}</dd>
      <dt>Site</dt><dd>${l.site_id}${d.lang ? html` · language ${d.lang}` : ''}</dd>
      <dt>URL</dt><dd class="url" title="not a link: the page is hostile">${l.url}</dd>
      ${d.finalUrl && d.finalUrl !== l.url ? html`<dt>Final URL</dt><dd class="url">${d.finalUrl}</dd>` : ''}
      <dt>Seen</dt><dd>${when(l.first_seen)} – ${when(l.last_seen)} (UTC) · via ${l.found_via}${d.fetchedVia ? html` · ${d.fetchedVia}` : ''}</dd>
      ${d.fields.price ? html`<dt>Price</dt><dd id="field-price">${d.fields.price}</dd>` : ''}
      ${d.fields.quantity ? html`<dt>Quantity</dt><dd id="field-quantity">${d.fields.quantity}</dd>` : ''}
      ${d.fields.vendor ? html`<dt>Vendor</dt><dd id="field-vendor">${d.fields.vendor}</dd>` : ''}
      ${d.fields.city ? html`<dt>City</dt><dd id="field-city">${d.fields.city}</dd>` : ''}
      <dt>Lexicon</dt><dd>${l.lexicon_version}</dd>
      <dt>Claimed</dt><dd>${claimForm(d, ctx, here)}</dd>
    </dl>
    ${decisionForm(d, ctx.csrf, nav.qs)}
    <section><h2>Classified text <span class="count">${body.marked} highlighted</span></h2>
      ${stale ? html`<p class="warn">${stale} matched term(s) no longer line up with the stored text (the page changed since it was classified).</p>` : ''}
      <pre class="text" id="lead-text">${body.html}</pre>
      ${d.text.length > MAX_TEXT ? html`<p class="muted">Text cut at ${MAX_TEXT} of ${d.text.length} characters.</p>` : ''}
    </section>
    <section><h2>Why it was flagged</h2>
      <p class="explain" id="score-sentence">${scoreSentence(l.score, rows)}</p>
      <table class="reasons" id="reasons"><thead><tr><th>term</th><th>meaning</th><th>as written</th><th>count</th><th>where</th><th>group</th><th>matched by</th><th>weight</th><th>contribution</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr class="${r.weight < 0 || r.contribution < 0 ? 'neg' : ''}">
          <td>${r.term}</td><td class="gloss">${r.gloss ?? ''}</td><td>${r.forms.slice(0, 5).join(', ')}</td><td class="num">${r.count}</td>
          <td>${[r.inTitle ? `title${r.inTitle > 1 ? ` ×${r.inTitle}` : ''}` : '', r.inText ? `text${r.inText > 1 ? ` ×${r.inText}` : ''}` : ''].filter(Boolean).join(', ')}</td>
          <td>${r.group}${r.class ? ` · ${r.class}` : ''}</td>
          <td>${r.via.join(', ')}${r.lang ? ` · ${r.lang}` : ''}</td><td class="num">${r.weight.toFixed(2)}</td><td class="num">${r.contribution.toFixed(3)}</td></tr>`,
      )}</tbody></table>
      ${
        learned.length
          ? html`<h3>What the learned model read</h3>
      <p class="hint">Words, word pairs and lexicon evidence that moved the model most; weight is their share of its logit (positive: toward a sale).</p>
      <table class="reasons" id="learned"><thead><tr><th>feature</th><th>as written</th><th>kind</th><th>weight</th></tr></thead>
      <tbody>${learned.map(
        (r) =>
          html`<tr class="${r.weight < 0 ? 'neg' : ''}"><td>${r.term}</td><td>${r.forms.filter(Boolean).slice(0, 3).join(', ')}</td><td>${r.class ?? ''}</td><td class="num">${r.weight.toFixed(3)}</td></tr>`,
      )}</tbody></table>`
          : ''
      }
    </section>`;
  const side = html`<aside>
    ${evidencePanel(d)}
    <section><h2>Identifiers</h2>
      ${
        d.identifiers.length
          ? html`<ul class="ids">${d.identifiers.map(
              (i) =>
                html`<li><span class="type">${i.type}</span> <a href="/?status=all&amp;identifier=${encodeURIComponent(`${i.type}:${i.value}`)}" class="value">${i.value}</a> <span class="muted">${i.validated}</span>${d.siteWide.includes(i.id) ? html` <span class="muted" title="on most of this site's pages: links no leads">site contact</span>` : ''}</li>`,
            )}</ul>`
          : html`<p class="muted">None.</p>`
      }
      ${
        d.quoted.length
          ? html`<h3>Quoted in reviews or comments</h3>
      <p class="hint">A buyer's, most likely: kept with the page, linking no leads.</p>
      <ul class="ids quoted">${d.quoted.map(
        (i) =>
          html`<li><span class="type">${i.type}</span> <span class="value">${i.value}</span> <span class="muted">${i.validated}</span></li>`,
      )}</ul>`
          : ''
      }
    </section>
    <section><h2>Cluster ${l.cluster_id !== null ? html`<a href="/clusters/${l.cluster_id}">#${l.cluster_id}</a>` : ''}</h2>
      ${
        d.mates.length
          ? html`<ul class="mates">${d.mates.map(
              (m) =>
                html`<li><a href="/leads/${m.id}">#${m.id} ${m.title.slice(0, 80) || '(no title)'}</a> <span class="muted">${m.site_id} · ${m.score.toFixed(2)} · ${m.status}</span></li>`,
            )}</ul>`
          : html`<p class="muted">No other lead shares an identifier with this one.</p>`
      }
    </section>
    <section><h2>History</h2>
      <ul class="history">${join(
        d.history.map(
          (h) =>
            html`<li><span class="when">${when(h.at)}</span> <b>${h.analyst}</b> ${h.action}${h.note ? html`: <q>${h.note}</q>` : ''}</li>`,
        ),
      )}</ul>
    </section>
  </aside>`;
  return layout(`Lead ${l.id}`, ctx, html`<div class="lead"><div class="main">${main}</div>${side}</div>`, {
    page: 'lead',
  });
}
