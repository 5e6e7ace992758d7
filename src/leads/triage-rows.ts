/**
 * Analysts' triage in the store: decisions, undo, claims, saved filters and the audit log. Every change
 * is written to the audit log in the same transaction as the change itself; the log is never updated or
 * deleted (the store's triggers refuse it).
 */
import type { Kysely } from 'kysely';
import { UsageError } from '../errors.ts';
import type { Analyst } from './analysts.ts';
import type { Write } from './group-commit.ts';
import { isPostgres } from './open.ts';
import type { Database, LeadStatus } from './schema.ts';

export type Decision = 'confirm' | 'dismiss' | 'escalate';
export const DECISIONS: Record<Decision, LeadStatus> = {
  confirm: 'confirmed',
  dismiss: 'dismissed',
  escalate: 'escalated',
};

/** How long an analyst may undo their own decision (the UI offers it for a few seconds after a key). */
export const UNDO_WINDOW_MS = 10 * 60_000;

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

export interface SavedFilter {
  id: number;
  name: string;
  /** The queue's query string. */
  query: string;
}

/**
 * A lead's status, its row locked for the rest of the transaction on PostgreSQL: two analysts deciding
 * on one lead at once both read its status before either wrote, so the audit log said both changed it
 * from `new`. SQLite's transactions take the database's one write lock at their start already.
 */
function lockedStatus(db: Kysely<Database>, leadId: number) {
  const q = db.selectFrom('leads').select('status').where('id', '=', leadId);
  return (isPostgres(db) ? q.forUpdate() : q).executeTakeFirst();
}

async function audit(db: Kysely<Database>, e: AuditEntry): Promise<number> {
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

/** The triage tables, reached as `store.triage`: writes go through `Store.write` (a group commit on SQLite). */
export class Triage {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly write: Write,
  ) {}

  /** Appends one row to the audit log and returns its id. */
  audit(e: AuditEntry): Promise<number> {
    return this.write((tx) => audit(tx, e));
  }

  /**
   * Records a decision on a lead: its status changes and the decision, with the note and the status
   * before, is appended to the audit log, in one transaction. Null when there is no such lead.
   */
  decide(
    analyst: Analyst,
    leadId: number,
    decision: Decision,
    note: string | null,
  ): Promise<{ status: LeadStatus; before: LeadStatus; auditId: number } | null> {
    const status = DECISIONS[decision];
    return this.write(async (tx) => {
      const lead = await lockedStatus(tx, leadId);
      if (!lead) return null;
      await tx.updateTable('leads').set({ status }).where('id', '=', leadId).execute();
      const auditId = await audit(tx, {
        analyst,
        action: decision,
        leadId,
        note,
        detail: { from: lead.status, to: status },
      });
      return { status, before: lead.status, auditId };
    });
  }

  /**
   * Undoes the decision recorded in audit row `auditId`: the lead goes back to the status it had, and an
   * `undo` row names the row it undoes. Only the analyst who decided, within `UNDO_WINDOW_MS`, and only
   * while the lead still has the status that decision gave it (nobody decided again since).
   */
  undo(
    analyst: Analyst,
    auditId: number,
    now = Date.now(),
  ): Promise<{ leadId: number; status: LeadStatus; auditId: number }> {
    return this.write(async (tx) => {
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
      const lead = await lockedStatus(tx, row.lead_id);
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

  /**
   * Claims a lead for `analyst`; refused while another analyst holds it. The claim is inserted unless one
   * exists (waiting for a claim being made at the same moment), so of two analysts claiming at once one
   * gets the lead and the other this refusal, not a database error.
   */
  async claim(analyst: Analyst, leadId: number): Promise<void> {
    await this.write(async (tx) => {
      if (!(await tx.selectFrom('leads').select('id').where('id', '=', leadId).executeTakeFirst()))
        throw new UsageError(`no lead ${leadId}`);
      const claimed = await tx
        .insertInto('claims')
        .values({
          lead_id: leadId,
          analyst_id: analyst.id,
          analyst: analyst.name,
          claimed_at: new Date().toISOString(),
        })
        .onConflict((oc) => oc.column('lead_id').doNothing())
        .returning('lead_id')
        .executeTakeFirst();
      if (claimed) {
        await audit(tx, { analyst, action: 'claim', leadId });
        return;
      }
      const held = await tx.selectFrom('claims').selectAll().where('lead_id', '=', leadId).executeTakeFirst();
      if (!held || held.analyst_id === analyst.id) return;
      throw new UsageError(`lead ${leadId} is claimed by ${held.analyst} since ${held.claimed_at}`);
    });
  }

  /**
   * Releases a claim (anyone's: a colleague on leave must not block a lead); audited with whose it was,
   * once however many release it at once.
   */
  async release(analyst: Analyst, leadId: number): Promise<void> {
    await this.write(async (tx) => {
      const held = await tx
        .deleteFrom('claims')
        .where('lead_id', '=', leadId)
        .returning('analyst')
        .executeTakeFirst();
      if (held) await audit(tx, { analyst, action: 'release', leadId, detail: { claimedBy: held.analyst } });
    });
  }

  /** Who has claimed a lead, and since when. */
  claimOf(leadId: number): Promise<{ analyst: string; claimed_at: string } | undefined> {
    return this.db
      .selectFrom('claims')
      .select(['analyst', 'claimed_at'])
      .where('lead_id', '=', leadId)
      .executeTakeFirst();
  }

  /** The analyst's saved filters, by name. */
  savedFilters(analyst: Analyst): Promise<SavedFilter[]> {
    return this.db
      .selectFrom('saved_filters')
      .select(['id', 'name', 'query'])
      .where('analyst_id', '=', analyst.id)
      .orderBy('name')
      .execute();
  }

  /** Saves (or replaces) the analyst's filter `name`. */
  async saveFilter(analyst: Analyst, name: string, query: string): Promise<void> {
    await this.write(async (tx) => {
      // One statement: a delete and an insert let two saves at once (a double click) both insert.
      const created_at = new Date().toISOString();
      await tx
        .insertInto('saved_filters')
        .values({ analyst_id: analyst.id, name, query, created_at })
        .onConflict((oc) => oc.columns(['analyst_id', 'name']).doUpdateSet({ query, created_at }))
        .execute();
      await audit(tx, { analyst, action: 'filter-save', detail: { name, query } });
    });
  }

  async deleteFilter(analyst: Analyst, id: number): Promise<void> {
    await this.write(async (tx) => {
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
  ownDecisions(analyst: Analyst, auditIds: number[]) {
    return this.db
      .selectFrom('audit')
      .select(['id', 'lead_id', 'action', 'note', 'at'])
      .where('id', 'in', auditIds)
      .where('analyst_id', '=', analyst.id)
      .where('action', 'in', Object.keys(DECISIONS))
      .orderBy('id')
      .execute();
  }
}
