import {
  buildBundle,
  type EvidenceStore,
  type LeadEvidenceSummary,
  leadEvidenceFile,
  leadEvidenceSummary,
} from '../evidence/index.ts';
import type { Store } from '../leads/index.ts';

/** What the lead page shows of a lead's preserved evidence: its newest sealed capture. */
export type EvidenceView = LeadEvidenceSummary;

/** A lead's evidence, read from the store and the content-addressed files. */
export interface EvidenceAccess {
  /** The summary shown on the lead page; null when nothing was sealed for the lead. */
  summary(store: Store, leadId: number): Promise<EvidenceView | null>;
  /** One file by its manifest name (`capture.warc.gz`, `screenshot.png`, `text.txt`, `manifest.json`). */
  file(store: Store, leadId: number, name: string): Promise<{ body: Uint8Array; type: string } | null>;
  /** The lead's WACZ bundle. */
  bundle(store: Store, leadId: number): Promise<Uint8Array>;
}

export function evidenceFrom(files: EvidenceStore): EvidenceAccess {
  const deps = (store: Store) => ({ store, evidence: files });
  return {
    summary: (store, id) => leadEvidenceSummary(deps(store), id),
    file: (store, id, name) => leadEvidenceFile(deps(store), id, name),
    bundle: async (store, id) => (await buildBundle(deps(store), id)).data,
  };
}
