/**
 * Triage beyond one decision: bulk decisions, undoing a decision, claiming a lead, saved filters.
 * Every change is written to the audit log in the same transaction as the change itself.
 */
import { UsageError } from '../errors.ts';
import type { LeadStatus, Store } from '../leads/index.ts';
import type { Analyst } from './auth.ts';
import { audit, type Decision, DECISIONS, decide } from './decisions.ts';

/** How long an analyst may undo their own decision (the UI offers it for a few seconds after a key). */
export const UNDO_WINDOW_MS = 10 * 60_000;
/** The most leads one bulk decision may take. */
export const MAX_BULK = 500;

export interface Decided {
  id: number;
  status: LeadStatus;
  before: LeadStatus;
  /** The decision's audit row: what `undoDecision` takes. */
  auditId: number;
}

/** The same decision and note on many leads; each lead is its own transaction and audit row. */
export async function decideMany(
  store: Store,
  analyst: Analyst,
  ids: number[],
  decision: Decision,
  note: string,
): Promise<Decided[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) throw new UsageError('select at least one lead');
  if (unique.length > MAX_BULK)
    throw new UsageError(`at most ${MAX_BULK} leads at once, got ${unique.length}`);
  const done: Decided[] = [];
  for (const id of unique) {
    const r = await decide(store, analyst, id, decision, note);
    if (r) done.push({ id, ...r });
  }
  return done;
}

/**
 * Undoes the decision recorded in audit row `auditId`: the lead goes back to the status it had, and an
 * `undo` row names the row it undoes. Only the analyst who decided, within `UNDO_WINDOW_MS`, and only
 * while the lead still has the status that decision gave it (nobody decided again since).
 */
export async function undoDecision(
  store: Store,
  analyst: Analyst,
  auditId: number,
  now = Date.now(),
): Promise<{ leadId: number; status: LeadStatus; auditId: number }> {
  return store.db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('audit').selectAll().where('id', '=', auditId).executeTakeFirst();
    if (!row || row.lead_id === null || !Object.hasOwn(DECISIONS, row.action))
      throw new UsageError(`audit row ${auditId} is not a decision`);
    if (row.analyst_id !== analyst.id)
      throw new UsageError(`decision ${auditId} was ${row.analyst}'s: only they can undo it`);
    if (now - Date.parse(row.at) > UNDO_WINDOW_MS)
      throw new UsageError(
        `decision ${auditId} is older than ${UNDO_WINDOW_MS / 60_000} minutes: decide again instead`,
      );
    const { from, to } = JSON.parse(row.detail ?? '{}') as { from?: LeadStatus; to?: LeadStatus };
    const lead = await tx
      .selectFrom('leads')
      .select('status')
      .where('id', '=', row.lead_id)
      .executeTakeFirst();
    if (!lead || !from || lead.status !== to)
      throw new UsageError(
        `lead ${row.lead_id} was decided again since: its status is ${lead?.status ?? 'gone'}`,
      );
    await tx.updateTable('leads').set({ status: from }).where('id', '=', row.lead_id).execute();
    const id = await audit(tx, {
      analyst,
      action: 'undo',
      leadId: row.lead_id,
      detail: { undoes: auditId, from: to, to: from },
    });
    return { leadId: row.lead_id, status: from, auditId: id };
  });
}

/** Claims a lead for `analyst`; refused while another analyst holds it. */
export async function claimLead(store: Store, analyst: Analyst, leadId: number): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    if (!(await tx.selectFrom('leads').select('id').where('id', '=', leadId).executeTakeFirst()))
      throw new UsageError(`no lead ${leadId}`);
    const held = await tx.selectFrom('claims').selectAll().where('lead_id', '=', leadId).executeTakeFirst();
    if (held?.analyst_id === analyst.id) return;
    if (held) throw new UsageError(`lead ${leadId} is claimed by ${held.analyst} since ${held.claimed_at}`);
    await tx
      .insertInto('claims')
      .values({
        lead_id: leadId,
        analyst_id: analyst.id,
        analyst: analyst.name,
        claimed_at: new Date().toISOString(),
      })
      .execute();
    await audit(tx, { analyst, action: 'claim', leadId });
  });
}

/** Releases a claim (anyone's: a colleague on leave must not block a lead); audited with whose it was. */
export async function releaseLead(store: Store, analyst: Analyst, leadId: number): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    const held = await tx.selectFrom('claims').selectAll().where('lead_id', '=', leadId).executeTakeFirst();
    if (!held) return;
    await tx.deleteFrom('claims').where('lead_id', '=', leadId).execute();
    await audit(tx, { analyst, action: 'release', leadId, detail: { claimedBy: held.analyst } });
  });
}

export interface SavedFilter {
  id: number;
  name: string;
  /** The queue's query string. */
  query: string;
}

/** The analyst's saved filters, by name. */
export function savedFilters(store: Store, analyst: Analyst): Promise<SavedFilter[]> {
  return store.db
    .selectFrom('saved_filters')
    .select(['id', 'name', 'query'])
    .where('analyst_id', '=', analyst.id)
    .orderBy('name')
    .execute();
}

/** Saves (or replaces) the analyst's filter `name`. */
export async function saveFilter(store: Store, analyst: Analyst, name: string, query: string): Promise<void> {
  const n = name.trim();
  if (!n || n.length > 80) throw new UsageError('filter name: 1 to 80 characters');
  if (query.length > 2000) throw new UsageError('filter: at most 2000 characters');
  await store.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('saved_filters').where('analyst_id', '=', analyst.id).where('name', '=', n).execute();
    await tx
      .insertInto('saved_filters')
      .values({ analyst_id: analyst.id, name: n, query, created_at: new Date().toISOString() })
      .execute();
    await audit(tx, { analyst, action: 'filter-save', detail: { name: n, query } });
  });
}

export async function deleteFilter(store: Store, analyst: Analyst, id: number): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    const row = await tx
      .deleteFrom('saved_filters')
      .where('id', '=', id)
      .where('analyst_id', '=', analyst.id)
      .returning(['name', 'query'])
      .executeTakeFirst();
    if (row) await audit(tx, { analyst, action: 'filter-delete', detail: row });
  });
}

/** The analyst's own decisions among `auditIds` (the queue's "just decided" notice, with undo buttons). */
export function ownDecisions(store: Store, analyst: Analyst, auditIds: number[]) {
  if (!auditIds.length) return Promise.resolve([]);
  return store.db
    .selectFrom('audit')
    .select(['id', 'lead_id', 'action', 'note', 'at'])
    .where('id', 'in', auditIds.slice(0, MAX_BULK))
    .where('analyst_id', '=', analyst.id)
    .where('action', 'in', Object.keys(DECISIONS))
    .orderBy('id')
    .execute();
}
