import type { Kysely } from 'kysely';
import type { Database, LeadHistoryTable } from './schema.ts';

type Event = LeadHistoryTable['event'];

export interface LeadEventDetail {
  score?: number;
  category?: string | null;
  contentHash?: string | null;
  lexiconVersion?: string;
}

/** Appends an event to the history of the lead of `pageId`, if the page has a lead. */
export async function recordLeadEvent(
  db: Kysely<Database>,
  pageId: number,
  event: Event,
  at: string,
  detail: LeadEventDetail = {},
): Promise<void> {
  const lead = await db.selectFrom('leads').select(['id']).where('page_id', '=', pageId).executeTakeFirst();
  if (!lead) return;
  await appendLeadEvent(db, lead.id, event, at, detail);
}

/** The history row of an event, but its lead. */
export function leadEventValues(event: Event, at: string, detail: LeadEventDetail = {}) {
  return {
    at,
    event,
    score: detail.score ?? null,
    category: detail.category ?? null,
    content_hash: detail.contentHash ?? null,
    lexicon_version: detail.lexiconVersion ?? null,
  };
}

/** Appends an event to the history of lead `leadId` (when the caller already knows the lead). */
export async function appendLeadEvent(
  db: Kysely<Database>,
  leadId: number,
  event: Event,
  at: string,
  detail: LeadEventDetail = {},
): Promise<void> {
  await db
    .insertInto('lead_history')
    .values({ lead_id: leadId, ...leadEventValues(event, at, detail) })
    .execute();
}

/** The latest recorded state of a lead, to tell whether a new classification changed anything. */
export function lastLeadEvent(db: Kysely<Database>, leadId: number) {
  return db
    .selectFrom('lead_history')
    .select(['event', 'score', 'category', 'content_hash'])
    .where('lead_id', '=', leadId)
    .where('event', 'in', ['created', 'changed'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export function leadHistory(db: Kysely<Database>, leadId: number) {
  return db.selectFrom('lead_history').selectAll().where('lead_id', '=', leadId).orderBy('id').execute();
}
