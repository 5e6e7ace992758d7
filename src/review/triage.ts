/**
 * Triage beyond one decision: bulk decisions and saved filters (undo and claims are `store.triage`'s).
 * Every change is written to the audit log in the same transaction as the change itself.
 */
import { UsageError } from '../errors.ts';
import type { Analyst, LeadStatus, Store } from '../leads/index.ts';
import { type Decision, decide } from './decisions.ts';

/** The most leads one bulk decision may take. */
export const MAX_BULK = 500;

export interface Decided {
  id: number;
  status: LeadStatus;
  before: LeadStatus;
  /** The decision's audit row: what `store.triage.undo` takes. */
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

/** Saves (or replaces) the analyst's filter `name`. */
export async function saveFilter(store: Store, analyst: Analyst, name: string, query: string): Promise<void> {
  const n = name.trim();
  if (!n || n.length > 80) throw new UsageError('filter name: 1 to 80 characters');
  if (query.length > 2000) throw new UsageError('filter: at most 2000 characters');
  await store.triage.saveFilter(analyst, n, query);
}

/** The analyst's own decisions among `auditIds` (the queue's "just decided" notice, with undo buttons). */
export function ownDecisions(store: Store, analyst: Analyst, auditIds: number[]) {
  if (!auditIds.length) return Promise.resolve([]);
  return store.triage.ownDecisions(analyst, auditIds.slice(0, MAX_BULK));
}
