import type { Kysely } from 'kysely';
import { UsageError } from '../errors.ts';
import type { LeadStatus, Store } from '../leads/index.ts';
import type { Database } from '../leads/index.ts';
import type { Analyst } from './auth.ts';

export type Decision = 'confirm' | 'dismiss' | 'escalate';
export const DECISIONS: Record<Decision, LeadStatus> = {
  confirm: 'confirmed',
  dismiss: 'dismissed',
  escalate: 'escalated',
};

export const MAX_NOTE = 4000;

export interface AuditEntry {
  /** Null for events without a signed-in analyst (a failed sign-in). */
  analyst: Analyst | null;
  /** Name to record when there is no analyst (the name tried at a failed sign-in). */
  name?: string;
  action: string;
  leadId?: number | null;
  note?: string | null;
  detail?: object | null;
}

/**
 * Appends one row to the audit log and returns its id. The log is never updated or deleted (the
 * store's triggers refuse it).
 */
export async function audit(db: Kysely<Database>, e: AuditEntry): Promise<number> {
  const row = await db
    .insertInto('audit')
    .values({
      at: new Date().toISOString(),
      analyst_id: e.analyst?.id ?? null,
      analyst: e.analyst?.name ?? e.name ?? '',
      action: e.action,
      lead_id: e.leadId ?? null,
      note: e.note ?? null,
      detail: e.detail ? JSON.stringify(e.detail) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function isDecision(s: string): s is Decision {
  return Object.hasOwn(DECISIONS, s);
}

/**
 * Records an analyst's decision on a lead: its status changes and the decision, with the note and the
 * status before, is appended to the audit log, in one transaction. Returns the new status, or null when
 * there is no such lead.
 */
export async function decide(
  store: Store,
  analyst: Analyst,
  leadId: number,
  decision: Decision,
  note: string,
): Promise<{ status: LeadStatus; before: LeadStatus; auditId: number } | null> {
  const text = note.trim();
  if (text.length > MAX_NOTE) throw new UsageError(`note: at most ${MAX_NOTE} characters`);
  const status = DECISIONS[decision];
  return store.db.transaction().execute(async (tx) => {
    const lead = await tx.selectFrom('leads').select(['status']).where('id', '=', leadId).executeTakeFirst();
    if (!lead) return null;
    await tx.updateTable('leads').set({ status }).where('id', '=', leadId).execute();
    const auditId = await audit(tx, {
      analyst,
      action: decision,
      leadId,
      note: text || null,
      detail: { from: lead.status, to: status },
    });
    return { status, before: lead.status, auditId };
  });
}

/** Records that an analyst looked at a lead (the page or the API). */
export async function recordView(
  store: Store,
  analyst: Analyst,
  leadId: number,
  via: 'ui' | 'api',
): Promise<void> {
  await audit(store.db, { analyst, action: 'view', leadId, detail: { via } });
}
