export {
  type BundleResult,
  buildBundle,
  type FileCheck,
  type FileStatus,
  leadManifest,
  type VerifyOptions,
  type VerifyReport,
  verifyBundle,
  WACZ_PATHS,
  writeBundle,
} from './bundle.ts';
export {
  type CaptureEvidenceInput,
  type CaptureFacts,
  captureEvidence,
  isPng,
  type PageCaptureInput,
  type StoredCapture,
  sealManifest,
  storePageCapture,
} from './capture.ts';
export { sha256Hex, stableUuid, warcDigest, warcDigestToHex } from './digest.ts';
export {
  type EvidenceManifest,
  FILE_NAMES,
  type ManifestFile,
  manifestSha256,
  redactProxy,
  type ScreenshotInfo,
  serialiseManifest,
  spiderwebVersion,
} from './manifest.ts';
export { EvidenceStore, type StoredObject } from './object-store.ts';
export {
  type ArchiveInput,
  type ArchiveOutcome,
  archiveFetchedPage,
  captureLeadEvidence,
  type EvidenceDeps,
  type LeadEvidenceInput,
  type LeadEvidenceOutcome,
  type Screenshotter,
} from './pipeline.ts';
export { formatWarcRecord, pageWarc, type WarcRecordInput } from './warc.ts';
export { capturedBody, readWarc, type WarcRecord } from './warc-read.ts';
export { type LeadEvidenceSummary, leadEvidenceFile, leadEvidenceSummary } from './view.ts';
