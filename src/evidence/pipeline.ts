/**
 * Evidence in the pipeline, in two halves:
 *
 * 1. `archiveFetchedPage` (fetch worker, right after the page is recorded): stores the WARC of the
 *    exchange, the extracted text and a browser render's own screenshot, and records the capture.
 *    Cheap and content-addressed; an unchanged page is not captured again.
 * 2. `captureLeadEvidence` (evidence queue, when a page becomes or stays a lead): adds the screenshot
 *    (for HTTP pages, the captured HTML rendered offline in Chromium) and seals the manifest.
 */
import iconv from 'iconv-lite';
import type { FetchedPage } from '../crawl/index.ts';
import { NonRetryableError, TransientError, errorMessage } from '../errors.ts';
import type { EvidenceRow, FreshCapture, Store } from '../leads/index.ts';
import { type CaptureFacts, sealManifest, storePageCapture, storeScreenshot, strip } from './capture.ts';
import { sha256Hex } from './digest.ts';
import { type EvidenceManifest, FILE_NAMES, type ManifestFile, type ScreenshotInfo } from './manifest.ts';
import type { EvidenceStore } from './object-store.ts';
import { capturedBody, readWarc } from './warc-read.ts';

/** Renders captured HTML to a PNG without fetching anything (`BrowserPool` is one). */
export interface Screenshotter {
  screenshotHtml(html: string, baseUrl: string): Promise<Buffer>;
}

export interface EvidenceDeps {
  /** The leads store: its `captures` record what is written here (grouped with other jobs' writes on SQLite). */
  store: Pick<Store, 'captures'>;
  evidence: EvidenceStore;
  /** For screenshots of HTTP pages; null or absent: sealed without one (the manifest says why). */
  screenshots?: Screenshotter | null;
  /** Why there is no `screenshots`, for the manifest (default: no browser was available). */
  noScreenshotReason?: string;
}

export interface ArchiveInput {
  pageId: number;
  page: FetchedPage;
  /** Headers the HTTP fetcher sent; null when unknown (no request record is written). */
  requestHeaders: Record<string, string> | null;
  /** The site's proxy URL, or null for a direct connection (its password is never written). */
  proxy: string | null;
  /** `Document.text`, the extracted text. */
  text: string;
  /** The page is new to the store (`recordFetched` inserted it): it has no capture to look for. */
  newPage?: boolean;
}

export interface ArchiveOutcome {
  evidenceId: number;
  /** True when this payload of this page was already captured (nothing written). */
  skipped: boolean;
  warcSha256: string;
  /** The capture's row as this call stored it (null when it was there already): sealing it need not read it back. */
  row: EvidenceRow | null;
}

/** Fetch-side half: one call after `store.recordFetched`. Idempotent per (page, payload). */
export async function archiveFetchedPage(
  deps: Pick<EvidenceDeps, 'store' | 'evidence'>,
  input: ArchiveInput,
): Promise<ArchiveOutcome> {
  const captures = deps.store.captures;
  const payloadSha256 = sha256Hex(input.page.body);
  const at = new Date(input.page.fetchedAt).toISOString();
  const prior = input.newPage ? undefined : await captures.find(input.pageId, payloadSha256);
  if (prior) {
    await captures.touch(prior.id, at);
    return { evidenceId: prior.id, skipped: true, warcSha256: prior.warc_sha256, row: null };
  }
  const stored = await storePageCapture(deps.evidence, { ...input, payloadSha256 });
  const files = [stored.warc, stored.text, ...(stored.screenshot ? [stored.screenshot] : [])];
  const row = await captures.insert({
    pageId: input.pageId,
    facts: stored.facts,
    textSha256: stored.text.sha256,
    warcSha256: stored.warc.sha256,
    screenshotSha256: stored.screenshot?.sha256 ?? null,
    files,
  });
  if (row) return { evidenceId: row.id, skipped: false, warcSha256: row.warc_sha256, row };
  const raced = await captures.find(input.pageId, payloadSha256);
  if (!raced)
    throw new TransientError('internal', `evidence of page ${input.pageId} vanished while recording it`);
  return { evidenceId: raced.id, skipped: true, warcSha256: raced.warc_sha256, row: null };
}

export interface LeadEvidenceInput {
  pageId: number;
  leadId: number;
  /** Absent (a queued job): the page's current capture is read from the store. */
  fresh?: FreshCapture | undefined;
}

export interface LeadEvidenceOutcome {
  evidenceId: number;
  manifest: EvidenceManifest;
  manifestSha256: string;
  /** True when this capture was already sealed for this lead. */
  skipped: boolean;
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml', '']);

/**
 * Lead-side half (the evidence queue's processor): seals the page's current capture for `leadId`
 * with a screenshot and a manifest. Idempotent: a capture already sealed for the lead is returned
 * as is. Throws NonRetryableError when the page or its capture is missing, TransientError when
 * the browser failed in a way a retry may cure.
 */
export async function captureLeadEvidence(
  deps: EvidenceDeps,
  input: LeadEvidenceInput,
): Promise<LeadEvidenceOutcome> {
  const captures = deps.store.captures;
  // A capture handed over is trusted only as the page's capture of the page's text.
  const given = input.fresh;
  const fresh =
    given && given.row.page_id === input.pageId && given.row.text_sha256 === given.contentHash
      ? given
      : undefined;
  const page = fresh
    ? { id: input.pageId, site_id: fresh.siteId, content_hash: fresh.contentHash }
    : await captures.page(input.pageId);
  if (!page) throw new NonRetryableError('internal', `page ${input.pageId} is not in the store`);
  const row = fresh ? fresh.row : await captures.forPage(page.id, page.content_hash);
  if (!row) {
    throw new NonRetryableError(
      'internal',
      `page ${page.id} has no captured evidence (fetched before evidence capture was on?)`,
    );
  }
  if (row.manifest_sha256 && row.lead_id === input.leadId) return existing(deps, row);

  const facts = JSON.parse(row.facts) as CaptureFacts;
  const files = (JSON.parse(row.files) as ManifestFile[]).filter((f) => f.role !== 'screenshot').map(strip);
  let screenshotSha256 = row.screenshot_sha256;
  let info: ScreenshotInfo;
  if (screenshotSha256) {
    info = { source: 'browser-render', takenAt: row.captured_at };
  } else {
    const shot = await renderCaptured(deps, row, facts);
    screenshotSha256 = shot.sha256;
    info = shot.info;
  }
  if (screenshotSha256) {
    const size = (await deps.evidence.get(screenshotSha256)).length;
    files.push({
      name: FILE_NAMES.screenshot,
      role: 'screenshot',
      mediaType: 'image/png',
      sha256: screenshotSha256,
      size,
    });
  }
  const sealedAt = new Date().toISOString();
  const { manifest, manifestSha256 } = await sealManifest(deps.evidence, {
    facts,
    files,
    screenshot: info,
    leadId: input.leadId,
    pageId: page.id,
    siteId: page.site_id,
    sealedAt,
  });
  const won = await captures.seal(row.id, {
    leadId: input.leadId,
    screenshotSha256,
    manifestSha256,
    sealedAt,
    files: manifest.files,
  });
  if (!won) return existing(deps, await captures.get(row.id));
  return { evidenceId: row.id, manifest, manifestSha256, skipped: false };
}

async function existing(deps: EvidenceDeps, row: EvidenceRow): Promise<LeadEvidenceOutcome> {
  const sha = row.manifest_sha256 ?? '';
  const manifest = JSON.parse((await deps.evidence.get(sha)).toString('utf8')) as EvidenceManifest;
  return { evidenceId: row.id, manifest, manifestSha256: sha, skipped: true };
}

/** Screenshot of the captured body, rendered offline; a permanent failure is recorded, not thrown. */
async function renderCaptured(
  deps: EvidenceDeps,
  row: EvidenceRow,
  facts: CaptureFacts,
): Promise<{ sha256: string | null; info: ScreenshotInfo }> {
  if (!deps.screenshots) {
    return {
      sha256: null,
      info: {
        source: 'none',
        reason: deps.noScreenshotReason ?? 'no browser was available to render the capture',
      },
    };
  }
  const body = capturedBody(readWarc(await deps.evidence.get(row.warc_sha256)));
  if (!body)
    throw new NonRetryableError('internal', `WARC ${row.warc_sha256} holds no response or resource record`);
  const text = iconv.encodingExists(facts.charset)
    ? iconv.decode(body, facts.charset)
    : body.toString('utf8');
  const html = HTML_TYPES.has(facts.contentType)
    ? text
    : `<pre style="white-space:pre-wrap">${escapeHtml(text)}</pre>`;
  const takenAt = new Date().toISOString();
  try {
    const png = await deps.screenshots.screenshotHtml(html, facts.finalUrl);
    const stored = await storeScreenshot(deps.evidence, png);
    return { sha256: stored.sha256, info: { source: 'captured-body', takenAt } };
  } catch (err) {
    // The capture is fixed and rendered with scripts and the network off, so a render past its
    // deadline would be past it again: a page can be built for that (100,000 nested elements). The
    // lead is sealed now, without a screenshot, and says why; a crashed browser is retried.
    if (err instanceof NonRetryableError || (err instanceof TransientError && err.reason === 'timeout')) {
      return { sha256: null, info: { source: 'none', reason: `screenshot failed: ${errorMessage(err)}` } };
    }
    throw err;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
