import type { Hono } from 'hono';
import { UsageError } from '../errors.ts';
import { type AppDeps, leadId, type ReviewEnv } from './context.ts';
import { decide, isDecision, recordView } from './decisions.ts';
import { leadJson } from './export.ts';
import { encodeCursor, parseFilter, parsePage } from './filters.ts';
import { leadDetail } from './lead-detail.ts';

/**
 * The JSON API, with the same sign-in as the pages (session cookie, or `Authorization: Bearer <token>`):
 * `GET /api/leads` (the queue's filters; `after`/`before` cursors), `GET /api/leads/:id`,
 * `POST /api/leads/:id/decision` (`{ decision, note }`), `GET /api/clusters/:id`, `GET /api/identifiers`.
 */
export function registerApi(app: Hono<ReviewEnv>, deps: AppDeps): void {
  const { store } = deps;

  app.get('/api/leads', async (c) => {
    const params = new URL(c.req.url).searchParams;
    const filter = parseFilter(params);
    const [page, total] = await Promise.all([
      store.review.queuePage(filter, parsePage(params)),
      params.get('count') === '0' ? Promise.resolve(null) : store.review.countLeads(filter),
    ]);
    const ids = await store.identifiersByPage(page.rows.map((r) => r.page_id));
    return c.json({
      /** Matching leads, counted up to 10 000 (`totalCapped` is true beyond). Null with `count=0`. */
      total: total?.n ?? null,
      totalCapped: total?.capped ?? false,
      leads: page.rows.map((r) => ({
        id: r.id,
        site: r.site_id,
        url: r.url,
        title: r.title,
        score: r.score,
        kind: r.kind,
        category: r.category,
        substances: JSON.parse(r.substances) as string[],
        status: r.status,
        lang: r.lang,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
        goneAt: r.gone_at,
        clusterId: r.cluster_id,
        identifiers: ids.get(r.page_id) ?? [],
      })),
      next: page.next ? encodeCursor(page.next) : null,
      prev: page.prev ? encodeCursor(page.prev) : null,
    });
  });

  app.get('/api/leads/:id', async (c) => {
    const id = leadId(c);
    const d = await leadDetail(store, id, deps.evidence);
    if (!d) return c.json({ error: `no lead ${id}` }, 404);
    await recordView(store, c.get('analyst'), id, 'api');
    return c.json({
      ...leadJson(
        d.lead,
        d.identifiers.map((i) => `${i.type}:${i.value}`),
      ),
      lang: d.lang,
      finalUrl: d.finalUrl,
      /** The classified text; each reason's `span` is `[start, end)` in it (or in `classifiedTitle` when `in` is `title`). */
      classifiedText: d.text,
      classifiedTitle: d.titleText,
      cluster: d.mates.map((m) => ({
        id: m.id,
        site: m.site_id,
        title: m.title,
        score: m.score,
        status: m.status,
      })),
      evidence: d.evidence,
      history: d.history.map((h) => ({ at: h.at, analyst: h.analyst, action: h.action, note: h.note })),
    });
  });

  app.post('/api/leads/:id/decision', async (c) => {
    const id = leadId(c);
    let body: { decision?: unknown; note?: unknown };
    try {
      body = (await c.req.json()) as typeof body;
    } catch {
      throw new UsageError('body: send JSON { "decision": "confirm|dismiss|escalate", "note": "…" }');
    }
    const decision = typeof body.decision === 'string' ? body.decision : '';
    if (!isDecision(decision))
      throw new UsageError(`decision "${decision}": use confirm, dismiss or escalate`);
    const result = await decide(
      store,
      c.get('analyst'),
      id,
      decision,
      typeof body.note === 'string' ? body.note : '',
    );
    if (!result) return c.json({ error: `no lead ${id}` }, 404);
    deps.metrics.decisions.inc({ decision });
    return c.json({ id, ...result });
  });

  app.get('/api/clusters/:id', async (c) => {
    const cluster = await store.cluster(leadId(c));
    return cluster ? c.json(cluster) : c.json({ error: 'no such cluster' }, 404);
  });

  app.get('/api/identifiers', async (c) => {
    const type = c.req.queries('type');
    const min = Number(c.req.query('min_leads') ?? '0');
    const limit = Number(c.req.query('limit') ?? '1000');
    if (!Number.isInteger(min) || min < 0) throw new UsageError('min_leads: use a whole number');
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('limit: use 1 to 10000');
    const rows = await store.identifiers({ ...(type?.length ? { type } : {}), minLeads: min, limit });
    return c.json({ identifiers: rows });
  });
}
