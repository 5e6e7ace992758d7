import { type CompactReason, expandReasons } from '../classify/index.ts';

/**
 * A classifier reason as stored in `leads.reasons`: the classifier's own `Reason`, one per term with
 * its count and a few spans (`compactReasons`), expanded here to one per kept span.
 */
export type StoredReason = CompactReason;

/** The stored reasons of a lead; malformed entries are left out. */
export function parseReasons(json: string): StoredReason[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v)
      ? expandReasons(
          v.filter(
            (r): r is StoredReason =>
              typeof r === 'object' &&
              r !== null &&
              typeof r.term === 'string' &&
              Array.isArray(r.span) &&
              typeof r.weight === 'number',
          ),
        )
      : [];
  } catch {
    return [];
  }
}
