import { type EvidenceStore, leadEvidenceSummary, leadScreenshot } from '../evidence/index.ts';
import type { Store } from '../leads/index.ts';

/** What the lead page shows of a lead's preserved evidence. */
export interface EvidenceView {
  capturedAt: string | null;
  url: string | null;
  finalUrl: string | null;
  status: number | null;
  /** The body was longer than the site's `fetch.maxBytes`: the capture holds only its beginning. */
  truncated: boolean;
  /** Every preserved file with its SHA-256. */
  files: Array<{ name: string; sha256: string; bytes: number | null }>;
  /** True when a screenshot can be served at `/leads/:id/screenshot.png`. */
  screenshot: boolean;
}

/** Finds a lead's evidence; null when there is none. */
export type EvidenceLookup = (
  store: Store,
  lead: { id: number; page_id: number },
) => Promise<EvidenceView | null>;

/** Serves one evidence file (the screenshot), or null. */
export type EvidenceFile = (
  store: Store,
  lead: { id: number; page_id: number },
  name: 'screenshot',
) => Promise<{ body: Uint8Array; type: string } | null>;

/** No evidence module data: the panel says so. */
export const noEvidence: EvidenceLookup = async () => null;

/**
 * The evidence module's view of a lead (its newest sealed capture: capture time, URLs, status, every
 * file's SHA-256, the screenshot), read from the store and the content-addressed files.
 */
export function evidenceFrom(files: EvidenceStore): { evidence: EvidenceLookup; evidenceFile: EvidenceFile } {
  return {
    evidence: (store, lead) => leadEvidenceSummary({ db: store.db, evidence: files }, lead.id),
    evidenceFile: (store, lead) => leadScreenshot({ db: store.db, evidence: files }, lead.id),
  };
}
