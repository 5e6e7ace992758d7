import { UsageError } from '../errors.ts';
import { type Analyst, DECISIONS, type Decision, type LeadStatus, type Store } from '../leads/index.ts';

export type { Decision } from '../leads/index.ts';

export const MAX_NOTE = 4000;

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
  return store.triage.decide(analyst, leadId, decision, text || null);
}

/** Records that an analyst looked at a lead (the page or the API). */
export async function recordView(
  store: Store,
  analyst: Analyst,
  leadId: number,
  via: 'ui' | 'api',
): Promise<void> {
  await store.triage.audit({ analyst, action: 'view', leadId, detail: { via } });
}
