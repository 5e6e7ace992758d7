/** What the review app shows of a lead's evidence (shape of `EvidenceView` in src/review/evidence.ts). */
import type { Kysely } from 'kysely';
import type { Database } from '../leads/schema.ts';
import { leadManifest } from './bundle.ts';
import type { EvidenceStore } from './object-store.ts';

export interface LeadEvidenceSummary {
  capturedAt: string | null;
  url: string | null;
  finalUrl: string | null;
  status: number | null;
  /** The body was longer than the site's `fetch.maxBytes`: the capture holds only its beginning. */
  truncated: boolean;
  files: Array<{ name: string; sha256: string; bytes: number | null }>;
  screenshot: boolean;
  manifestSha256: string;
  sealedAt: string;
}

type Deps = { db: Kysely<Database>; evidence: EvidenceStore };

/** The lead's newest sealed capture, summarised (manifest included in `files`); null when none. */
export async function leadEvidenceSummary(deps: Deps, leadId: number): Promise<LeadEvidenceSummary | null> {
  const found = await leadManifest(deps, leadId);
  if (!found) return null;
  const m = found.manifest;
  return {
    capturedAt: m.capturedAt,
    url: m.url,
    finalUrl: m.finalUrl,
    status: m.status,
    truncated: m.truncated,
    files: [
      ...m.files.map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.size })),
      { name: 'manifest.json', sha256: found.manifestSha256, bytes: null },
    ],
    screenshot: m.files.some((f) => f.role === 'screenshot'),
    manifestSha256: found.manifestSha256,
    sealedAt: m.sealedAt,
  };
}

/** The PNG of the lead's newest sealed capture (re-hashed on read), or null. */
export async function leadScreenshot(
  deps: Deps,
  leadId: number,
): Promise<{ body: Buffer; type: 'image/png' } | null> {
  const found = await leadManifest(deps, leadId);
  const shot = found?.manifest.files.find((f) => f.role === 'screenshot');
  return shot ? { body: await deps.evidence.get(shot.sha256), type: 'image/png' } : null;
}
