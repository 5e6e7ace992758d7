import type { Reason } from '../classify/index.ts';

/** A classifier reason as stored in `leads.reasons` (the classifier's own `Reason`, as JSON). */
export type StoredReason = Reason;

/** The stored reasons of a lead; malformed entries are left out. */
export function parseReasons(json: string): StoredReason[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v)
      ? v.filter(
          (r): r is StoredReason =>
            typeof r === 'object' &&
            r !== null &&
            typeof r.term === 'string' &&
            Array.isArray(r.span) &&
            typeof r.weight === 'number',
        )
      : [];
  } catch {
    return [];
  }
}
