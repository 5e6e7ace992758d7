import type { Identifier, ListingFields } from '../extract/index.ts';
import { type IdentifierRow, type LeadRow, listingText, type Store } from '../leads/index.ts';
import type { EvidenceAccess, EvidenceView } from './evidence.ts';
import { type LeadFields, leadFields } from './fields.ts';
import type { Cursor, QueueFilter } from './filters.ts';
import { parseReasons, type StoredReason } from './reasons.ts';

export type { StoredReason } from './reasons.ts';

export interface LeadDetail {
  lead: LeadRow;
  lang: string | null;
  finalUrl: string | null;
  fetchedVia: string | null;
  /** The text the lead was classified on: the listing's fields, or the page text (spans point into it). */
  text: string;
  /** The title the classifier saw (spans with `in: 'title'` point into it). */
  titleText: string;
  reasons: StoredReason[];
  identifiers: IdentifierRow[];
  /** Ids of those identifiers that are site-wide on the lead's site (its contact, in every footer): shown, linking nothing. */
  siteWide: number[];
  /** Identifiers the page shows only in its reviews or comments (a buyer's): kept with the page, linking nothing. */
  quoted: Array<Pick<Identifier, 'type' | 'value' | 'validated'>>;
  mates: Awaited<ReturnType<Store['review']['clusterMates']>>;
  history: Awaited<ReturnType<Store['review']['auditLog']>>;
  evidence: EvidenceView | null;
  /** Who has claimed the lead, and since when. */
  claim: { analyst: string; claimed_at: string } | null;
  fields: LeadFields;
}

export async function leadDetail(
  store: Store,
  id: number,
  evidence: EvidenceAccess | null,
): Promise<LeadDetail | null> {
  const lead = await store.lead(id);
  if (!lead) return null;
  const page = await store.page(lead.page_id);
  let listing: ListingFields | null = null;
  try {
    listing = page?.listing ? (JSON.parse(page.listing) as ListingFields) : null;
  } catch {
    listing = null;
  }
  const pageText = page?.text ?? '';
  const [identifiers, mates, history, ev, claim] = await Promise.all([
    store.pageIdentifiers(lead.page_id),
    lead.cluster_id === null ? Promise.resolve([]) : store.review.clusterMates(lead.cluster_id, lead.id),
    store.review.auditLog({ leadId: lead.id, limit: 50 }),
    evidence ? evidence.summary(store, lead.id) : null,
    store.triage.claimOf(id),
  ]);
  const reasons = parseReasons(lead.reasons);
  return {
    lead,
    lang: page?.lang ?? null,
    finalUrl: page?.final_url ?? null,
    fetchedVia: page?.fetched_via ?? null,
    text: listing ? listingText(listing, pageText) : pageText,
    titleText: listing?.title ?? page?.title ?? lead.title,
    reasons,
    identifiers,
    mates,
    history,
    evidence: ev,
    siteWide: [
      ...(await store.siteWideIdentifiers(
        lead.site_id,
        identifiers.map((i) => i.id),
      )),
    ],
    quoted: quotedIdentifiers(page?.identifiers),
    claim: claim ?? null,
    fields: leadFields(reasons, listing, `${page?.title ?? lead.title}\n${pageText}`),
  };
}

/** The page record's quoted identifiers (see `Identifier.quoted`); none when the record is unreadable. */
function quotedIdentifiers(json: string | undefined): LeadDetail['quoted'] {
  try {
    const all = JSON.parse(json ?? '[]') as Identifier[];
    return Array.isArray(all)
      ? all
          .filter((i) => i?.quoted === true)
          .map(({ type, value, validated }) => ({ type, value, validated }))
      : [];
  } catch {
    return [];
  }
}

/** The leads before and after this one in a queue (same filter and order), for j/k and "next" after a decision. */
export async function neighbours(store: Store, lead: LeadRow, f: QueueFilter) {
  const at: Cursor = { v: lead[f.sort], id: lead.id };
  const [next, prev] = await Promise.all([
    store.review.queuePage(f, { after: at, limit: 1 }),
    store.review.queuePage(f, { before: at, limit: 1 }),
  ]);
  return { next: next.rows[0]?.id ?? null, prev: prev.rows[0]?.id ?? null };
}
