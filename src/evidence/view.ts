/** What the review app shows and serves of a lead's evidence (shape of `EvidenceView` in src/review/evidence.ts). */
import type { Store } from '../leads/index.ts';
import { leadManifest } from './bundle.ts';
import type { FileRole } from './manifest.ts';
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
  /** Why the capture has no screenshot (Chromium missing, screenshots off...); null when it has one. */
  noScreenshot: string | null;
  manifestSha256: string;
  sealedAt: string;
}

type Deps = { store: Pick<Store, 'captures'>; evidence: EvidenceStore };

/** The lead's newest sealed capture, summarised (manifest included in `files`); null when none. */
export async function leadEvidenceSummary(deps: Deps, leadId: number): Promise<LeadEvidenceSummary | null> {
  const found = await leadManifest(deps, leadId);
  if (!found) return null;
  const m = found.manifest;
  const screenshot = m.files.some((f) => f.role === 'screenshot');
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
    screenshot,
    noScreenshot: screenshot ? null : m.screenshot.source === 'none' ? m.screenshot.reason : 'not taken',
    manifestSha256: found.manifestSha256,
    sealedAt: m.sealedAt,
  };
}

/** Media types of the files a lead page offers for download. */
const MEDIA: Record<FileRole | 'manifest', string> = {
  warc: 'application/warc',
  screenshot: 'image/png',
  text: 'text/plain; charset=utf-8',
  manifest: 'application/json',
};

/**
 * One file of the lead's newest sealed capture by its name in the manifest (`capture.warc.gz`,
 * `screenshot.png`, `text.txt`, or `manifest.json`), re-hashed on read; null when there is none.
 */
export async function leadEvidenceFile(
  deps: Deps,
  leadId: number,
  name: string,
): Promise<{ body: Buffer; type: string } | null> {
  const found = await leadManifest(deps, leadId);
  if (!found) return null;
  if (name === 'manifest.json')
    return { body: await deps.evidence.get(found.manifestSha256), type: MEDIA.manifest };
  const f = found.manifest.files.find((x) => x.name === name);
  return f ? { body: await deps.evidence.get(f.sha256), type: MEDIA[f.role] } : null;
}
