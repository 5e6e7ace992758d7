import type { Context, Hono } from 'hono';
import { UsageError } from '../errors.ts';
import { type AppDeps, leadId, pageCtx, type ReviewEnv } from './context.ts';
import { decide, isDecision, recordView } from './decisions.ts';
import { streamExport } from './export-stream.ts';
import { filterParams, parseFilter, parsePage } from './filters.ts';
import { leadDetail, neighbours } from './lead-detail.ts';
import { queueExtras } from './queries.ts';
import { ownDecisions } from './triage.ts';
import { errorPage } from './view-layout.ts';
import { leadView } from './view-lead.ts';
import { auditPage, clusterPage, identifiersPage, queuesPage } from './view-misc.ts';
import { queueView } from './view-queue.ts';

/** Caches the filter menus' values for a short while: they change only when crawls add leads. */
function cached<T>(ms: number, load: () => Promise<T>): () => Promise<T> {
  let value: { at: number; v: Promise<T> } | null = null;
  return () => {
    if (!value || Date.now() - value.at > ms) value = { at: Date.now(), v: load() };
    value.v.catch(() => {
      value = null;
    });
    return value.v;
  };
}

export function registerUi(app: Hono<ReviewEnv>, deps: AppDeps): void {
  const { store } = deps;
  const ctx = (c: Context<ReviewEnv>) => pageCtx(c, deps.queueCounts !== undefined);
  const facetValues = cached(30_000, () => store.review.facets());

  app.get('/', async (c) => {
    const params = new URL(c.req.url).searchParams;
    const filter = parseFilter(params, { defaultNew: true });
    const analyst = c.get('analyst');
    const decidedIds = (params.get('decided') ?? '').split(',').map(Number).filter(Number.isSafeInteger);
    const [page, total, counts, f, saved, decided] = await Promise.all([
      store.review.queuePage(filter, parsePage(params)),
      store.review.countLeads(filter),
      store.review.statusCounts(),
      facetValues(),
      store.triage.savedFilters(analyst),
      ownDecisions(store, analyst, decidedIds),
    ]);
    const extras = await queueExtras(store, page.rows);
    return c.html(
      queueView(ctx(c), {
        filter,
        params,
        page,
        total,
        counts,
        facets: f,
        extras,
        saved,
        decided,
        me: analyst.name,
      }),
    );
  });

  app.get('/leads/:id', async (c) => {
    const id = leadId(c);
    const params = new URL(c.req.url).searchParams;
    const filter = parseFilter(params, { defaultNew: true });
    if (!(await store.lead(id))) return c.html(errorPage(ctx(c), 404, `No lead ${id}.`), 404);
    await recordView(store, c.get('analyst'), id, 'ui');
    const d = await leadDetail(store, id, deps.evidence);
    if (!d) return c.html(errorPage(ctx(c), 404, `No lead ${id}.`), 404);
    const decidedIds = (params.get('decided') ?? '').split(',').map(Number).filter(Number.isSafeInteger);
    const [nav, decided] = await Promise.all([
      neighbours(store, d.lead, filter),
      ownDecisions(store, c.get('analyst'), decidedIds),
    ]);
    const session = c.get('session');
    return c.html(
      leadView({ ...ctx(c), csrf: session?.csrf ?? '' }, d, {
        ...nav,
        qs: filterParams(filter).toString(),
        decided,
      }),
    );
  });

  // Evidence downloads: always as attachments (or a PNG), never rendered as a page of their own.
  app.get('/leads/:id/evidence.wacz', async (c) => {
    const id = leadId(c);
    if (!deps.evidence || !(await store.lead(id))) return c.text('Not found', 404);
    const body = await deps.evidence.bundle(store, id);
    await store.triage.audit({
      analyst: c.get('analyst'),
      action: 'export',
      leadId: id,
      detail: { evidence: 'wacz' },
    });
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/wacz',
      'Content-Disposition': `attachment; filename="lead-${id}.wacz"`,
    });
  });

  app.get('/leads/:id/evidence/:name', async (c) => {
    const id = leadId(c);
    const name = c.req.param('name');
    const file = deps.evidence ? await deps.evidence.file(store, id, name) : null;
    if (!file) return c.text('Not found', 404);
    const png = file.type === 'image/png';
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': png ? 'image/png' : file.type,
      'Content-Disposition': `${png ? 'inline' : 'attachment'}; filename="lead-${id}-${name}"`,
    });
  });

  app.post('/leads/:id/decision', async (c) => {
    const id = leadId(c);
    const form = await c.req.parseBody();
    const decision = typeof form.decision === 'string' ? form.decision : '';
    if (!isDecision(decision))
      throw new UsageError(`decision "${decision}": use confirm, dismiss or escalate`);
    const note = typeof form.note === 'string' ? form.note : '';
    const result = await decide(store, c.get('analyst'), id, decision, note);
    if (!result) return c.text(`No lead ${id}`, 404);
    deps.metrics.decisions.inc({ decision });
    if (c.req.header('accept')?.includes('application/json')) return c.json({ id, ...result });
    // Back to the queue's next lead, in the same filter and order.
    const back = new URLSearchParams(typeof form.back === 'string' ? form.back : '');
    const filter = parseFilter(back, { defaultNew: true });
    const qs = filterParams(filter).toString();
    const lead = await store.lead(id);
    const { next } = lead ? await neighbours(store, lead, filter) : { next: null };
    return c.redirect(`${next ? `/leads/${next}` : '/'}?${qs}&decided=${result.auditId}`, 303);
  });

  app.get('/clusters/:id', async (c) => {
    const cluster = await store.cluster(leadId(c));
    if (!cluster) return c.html(errorPage(ctx(c), 404, 'No such cluster.'), 404);
    return c.html(clusterPage(ctx(c), cluster));
  });

  app.get('/audit', async (c) => {
    const q = c.req.query();
    const lead = q.lead && /^\d+$/.test(q.lead) ? Number(q.lead) : undefined;
    const before = q.before && /^\d+$/.test(q.before) ? Number(q.before) : undefined;
    const rows = await store.review.auditLog({
      ...(lead !== undefined ? { leadId: lead } : {}),
      ...(q.analyst ? { analyst: q.analyst } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(before !== undefined ? { beforeId: before } : {}),
    });
    return c.html(
      auditPage(ctx(c), rows, {
        ...(q.lead ? { lead: q.lead } : {}),
        ...(q.analyst ? { analyst: q.analyst } : {}),
        ...(q.action ? { action: q.action } : {}),
      }),
    );
  });

  app.get('/identifiers', async (c) => {
    const rows = await store.identifiers({ limit: 500 });
    return c.html(identifiersPage(ctx(c), rows));
  });

  app.get('/queues', async (c) => {
    if (!deps.queueCounts) return c.html(errorPage(ctx(c), 404, 'No queue connection configured.'), 404);
    return c.html(queuesPage(ctx(c), await deps.queueCounts()));
  });

  app.get('/metrics', async (c) => {
    return c.body(await deps.metrics.registry.metrics(), 200, {
      'Content-Type': deps.metrics.registry.contentType,
    });
  });

  app.get('/export.csv', (c) => streamExport(c, deps, 'csv'));
  app.get('/export.jsonl', (c) => streamExport(c, deps, 'jsonl'));
}
