import type { Context } from 'hono';
import type { AppDeps, ReviewEnv } from './context.ts';
import { csvHeader, csvRow, leadJson } from './export.ts';
import { parseFilter } from './filters.ts';

/**
 * Streams the leads matching the request's filters (the queue's query string) as CSV or JSONL, in
 * batches, so a large export never sits in memory. The export itself is written to the audit log.
 */
export async function streamExport(c: Context<ReviewEnv>, deps: AppDeps, format: 'csv' | 'jsonl') {
  const params = new URL(c.req.url).searchParams;
  const filter = parseFilter(params);
  await deps.store.triage.audit({
    analyst: c.get('analyst'),
    action: 'export',
    detail: { format, query: params.toString() },
  });
  const encoder = new TextEncoder();
  async function* lines() {
    if (format === 'csv') yield `${csvHeader()}\n`;
    for await (const rows of deps.store.review.eachLead(filter)) {
      const ids = await deps.store.identifiersByPage(rows.map((l) => l.page_id));
      yield rows
        .map((l) =>
          format === 'csv' ? csvRow(l, ids.get(l.page_id)) : JSON.stringify(leadJson(l, ids.get(l.page_id))),
        )
        .map((line) => `${line}\n`)
        .join('');
    }
  }
  const it = lines();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const { value, done } = await it.next();
        if (done) ctrl.close();
        else ctrl.enqueue(encoder.encode(value));
      } catch (err) {
        deps.log.error({ err }, 'export failed');
        ctrl.error(err);
      }
    },
    async cancel() {
      await it.return(undefined);
    },
  });
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return c.body(body, 200, {
    'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'Content-Disposition': `attachment; filename="spiderweb-leads-${stamp}.${format}"`,
  });
}
