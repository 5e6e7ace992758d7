import type { FetchedPage } from '../crawl/index.ts';
import { NonRetryableError } from '../errors.ts';
import { sha256Hex } from './digest.ts';
import {
  type EvidenceManifest,
  FILE_NAMES,
  type ManifestFile,
  redactProxy,
  type ScreenshotInfo,
  serialiseManifest,
  spiderwebVersion,
} from './manifest.ts';
import type { EvidenceStore } from './object-store.ts';
import { pageWarcRecords, WARC_GZIP_LEVEL } from './warc.ts';

/** The facts of one fetch that a manifest repeats (kept with the capture until it is sealed). */
export type CaptureFacts = Pick<
  EvidenceManifest,
  | 'url'
  | 'finalUrl'
  | 'redirects'
  | 'status'
  | 'contentType'
  | 'charset'
  | 'truncated'
  | 'fetcher'
  | 'proxy'
  | 'capturedAt'
  | 'payloadSha256'
>;

export interface PageCaptureInput {
  page: FetchedPage;
  /** Headers the HTTP fetcher sent; null when unknown (browser renders): the WARC then has no request record. */
  requestHeaders: Record<string, string> | null;
  /** The proxy URL the fetch used (credentials are redacted before anything is written); null: direct. */
  proxy: string | null;
  /** The extracted text (`Document.text`), stored as UTF-8. */
  text: string;
  /** SHA-256 (hex) of `page.body`, when the caller has computed it already. */
  payloadSha256?: string;
}

export interface StoredCapture {
  facts: CaptureFacts;
  warc: ManifestFile;
  text: ManifestFile;
  /** The render's own screenshot (browser pages fetched with `screenshot: true`). */
  screenshot: ManifestFile | null;
  /** Objects actually written (0 when everything was already stored). */
  written: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(data: Buffer): boolean {
  return data.length > PNG_SIGNATURE.length && data.subarray(0, 8).equals(PNG_SIGNATURE);
}

/** Stores a PNG screenshot; throws NonRetryableError when the bytes are not a PNG. */
export async function storeScreenshot(
  store: EvidenceStore,
  png: Buffer,
): Promise<ManifestFile & { written: boolean }> {
  if (!isPng(png)) throw new NonRetryableError('internal', 'screenshot is not a PNG image');
  const o = await store.put(png);
  return { ...file('screenshot', 'image/png', o), written: o.written };
}

function file(
  role: ManifestFile['role'],
  mediaType: string,
  o: { sha256: string; size: number },
): ManifestFile {
  return { name: FILE_NAMES[role], role, mediaType, sha256: o.sha256, size: o.size };
}

/**
 * The fetch-time half of a capture: the WARC of the exchange, the extracted text and (browser pages)
 * the render's screenshot, content-addressed. Storing the same fetch twice writes nothing new.
 */
export async function storePageCapture(
  store: EvidenceStore,
  input: PageCaptureInput,
): Promise<StoredCapture> {
  const { page } = input;
  const proxy = redactProxy(input.proxy);
  const facts: CaptureFacts = {
    url: page.url,
    finalUrl: page.finalUrl,
    redirects: [...page.redirects],
    status: page.status,
    contentType: page.contentType,
    charset: page.charset,
    truncated: page.truncated,
    fetcher: page.via,
    proxy,
    capturedAt: new Date(page.fetchedAt).toISOString(),
    payloadSha256: input.payloadSha256 ?? sha256Hex(page.body),
  };
  const records = pageWarcRecords({
    page,
    requestHeaders: input.requestHeaders,
    proxy,
    version: spiderwebVersion(),
    payloadSha256: facts.payloadSha256,
  });
  // The WARC is `pageWarc`'s bytes, compressed by the store's writer thread (gzip is most of the CPU
  // a capture costs). Put together: one trip to that thread, the objects flushed in parallel.
  const [warc, text, shot] = await Promise.all([
    store.putGzipMembers(records, WARC_GZIP_LEVEL),
    store.put(Buffer.from(input.text, 'utf8')),
    page.screenshot ? storeScreenshot(store, page.screenshot) : null,
  ]);
  return {
    facts,
    warc: file('warc', 'application/warc', warc),
    text: file('text', 'text/plain; charset=utf-8', text),
    screenshot: shot ? file('screenshot', 'image/png', shot) : null,
    written: Number(warc.written) + Number(text.written) + Number(shot?.written ?? false),
  };
}

export interface SealInput {
  facts: CaptureFacts;
  files: ManifestFile[];
  screenshot: ScreenshotInfo;
  leadId: number | null;
  pageId: number | null;
  siteId: string | null;
  /** Default: now. */
  sealedAt?: string;
}

/** Writes the manifest naming every file of a capture; returns it and its SHA-256. */
export async function sealManifest(
  store: EvidenceStore,
  input: SealInput,
): Promise<{ manifest: EvidenceManifest; manifestSha256: string }> {
  const f = input.facts;
  const manifest: EvidenceManifest = {
    format: 'spiderweb-evidence/1',
    spiderwebVersion: spiderwebVersion(),
    leadId: input.leadId,
    pageId: input.pageId,
    siteId: input.siteId,
    url: f.url,
    finalUrl: f.finalUrl,
    redirects: f.redirects,
    status: f.status,
    contentType: f.contentType,
    charset: f.charset,
    truncated: f.truncated,
    fetcher: f.fetcher,
    proxy: f.proxy,
    capturedAt: f.capturedAt,
    sealedAt: input.sealedAt ?? new Date().toISOString(),
    payloadSha256: f.payloadSha256,
    screenshot: input.screenshot,
    files: ORDER.flatMap((role) => input.files.filter((x) => x.role === role)),
  };
  const stored = await store.put(serialiseManifest(manifest));
  return { manifest, manifestSha256: stored.sha256 };
}

const ORDER: ManifestFile['role'][] = ['warc', 'screenshot', 'text'];

export interface CaptureEvidenceInput extends PageCaptureInput {
  /** A PNG of the page; default: the render's own (`page.screenshot`). */
  screenshot?: Buffer | null;
  leadId?: number | null;
  pageId?: number | null;
  siteId?: string | null;
  /** Default: now. Pass it to make the manifest reproducible. */
  sealedAt?: string;
}

/**
 * Everything in one go (no database): WARC, screenshot, text and manifest, content-addressed in
 * `store`. Same inputs (with `sealedAt`) → same objects; nothing is written twice.
 */
export async function captureEvidence(
  store: EvidenceStore,
  input: CaptureEvidenceInput,
): Promise<{ manifest: EvidenceManifest; manifestSha256: string }> {
  const stored = await storePageCapture(store, input);
  const sealedAt = input.sealedAt ?? new Date().toISOString();
  let shot = stored.screenshot;
  let info: ScreenshotInfo = shot
    ? { source: 'browser-render', takenAt: stored.facts.capturedAt }
    : { source: 'none', reason: 'no screenshot was given' };
  if (input.screenshot) {
    shot = await storeScreenshot(store, input.screenshot);
    info = { source: input.page.via === 'browser' ? 'browser-render' : 'captured-body', takenAt: sealedAt };
  }
  const files = [stored.warc, stored.text, ...(shot ? [strip(shot)] : [])];
  return sealManifest(store, {
    facts: stored.facts,
    files,
    screenshot: info,
    leadId: input.leadId ?? null,
    pageId: input.pageId ?? null,
    siteId: input.siteId ?? null,
    sealedAt,
  });
}

/** A ManifestFile without extra properties (so manifests never carry bookkeeping fields). */
export function strip(f: ManifestFile): ManifestFile {
  return { name: f.name, role: f.role, mediaType: f.mediaType, sha256: f.sha256, size: f.size };
}
