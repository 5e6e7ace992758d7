import type { QueueRow, Store } from '../leads/index.ts';
import { type LeadFields, leadFields, parseListing } from './fields.ts';
import { parseReasons } from './reasons.ts';

/** What the queue shows beside each lead: its claim, fields, identifiers and cluster size. */
export interface QueueExtra {
  claimedBy: string | null;
  identifiers: number;
  /** Leads in its cluster (itself included); 1 when it shares no identifier. */
  clusterSize: number;
  fields: LeadFields;
}

/** `QueueExtra` of each row, from four indexed queries however many rows. */
export async function queueExtras(store: Store, rows: readonly QueueRow[]): Promise<Map<number, QueueExtra>> {
  const out = new Map<number, QueueExtra>();
  if (!rows.length) return out;
  const { claims, idCounts, clusters, details } = await store.review.queueDetails(rows);
  const claimBy = new Map(claims.map((c) => [c.lead_id, c.analyst]));
  const idsBy = new Map(idCounts.map((c) => [c.page_id, Number(c.n)]));
  const sizeBy = new Map(clusters.map((c) => [c.cluster_id, Number(c.n)]));
  const detailBy = new Map(details.map((d) => [d.id, d]));
  for (const r of rows) {
    const d = detailBy.get(r.id);
    out.set(r.id, {
      claimedBy: claimBy.get(r.id) ?? null,
      identifiers: idsBy.get(r.page_id) ?? 0,
      clusterSize: r.cluster_id === null ? 1 : (sizeBy.get(r.cluster_id) ?? 1),
      fields: leadFields(
        parseReasons(d?.reasons ?? '[]'),
        parseListing(d?.listing ?? null),
        `${d?.title ?? ''}\n${d?.head ?? ''}`,
      ),
    });
  }
  return out;
}
