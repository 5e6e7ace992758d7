/**
 * Evidence bundles as WACZ 1.1.1 (https://specs.webrecorder.net/wacz/1.1.1/), the web-archiving
 * world's exchange format, which ReplayWeb.page and pywb replay:
 *
 * - `archive/capture.warc.gz`: the capture's WARC records, byte for byte as stored;
 * - `indexes/index.cdxj`: where each response record starts in it;
 * - `pages/pages.jsonl`: the captured page (URL, time, title, extracted text);
 * - `spiderweb/manifest.json`: the sealed evidence manifest (its SHA-256 is the one the store records),
 *   `spiderweb/screenshot.png`, `spiderweb/text.txt`;
 * - `spiderweb/case.json`: the lead as of bundling (score, reasons, analysts' decisions);
 * - `datapackage.json`: every file above with its SHA-256 and size, and `datapackage-digest.json`
 *   with the SHA-256 of `datapackage.json`.
 *
 * Files are stored in the zip uncompressed (the WARC is gzipped already, as the spec advises), so a
 * damaged byte can be pinned to one file. The digests travel with the files, so they prove the bundle
 * matches itself, not that nobody rewrote everything: check the manifest's SHA-256 against the store
 * or the case file (`verifyBundle(file, { expectedManifestSha256 })`).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { unzipSync, type Zippable, zipSync } from 'fflate';
import { errorMessage, NonRetryableError, UsageError } from '../errors.ts';
import type { Store } from '../leads/index.ts';
import { cdxjIndex } from './cdxj.ts';
import { SHA256_HEX, sha256Hex } from './digest.ts';
import { type EvidenceManifest, type FileRole, spiderwebVersion } from './manifest.ts';
import type { EvidenceStore } from './object-store.ts';

/** Where each file sits inside a bundle. */
export const WACZ_PATHS = {
  warc: 'archive/capture.warc.gz',
  index: 'indexes/index.cdxj',
  pages: 'pages/pages.jsonl',
  manifest: 'spiderweb/manifest.json',
  screenshot: 'spiderweb/screenshot.png',
  text: 'spiderweb/text.txt',
  case: 'spiderweb/case.json',
  datapackage: 'datapackage.json',
  digest: 'datapackage-digest.json',
} as const;
const ROLE_PATH: Record<FileRole, string> = {
  warc: WACZ_PATHS.warc,
  screenshot: WACZ_PATHS.screenshot,
  text: WACZ_PATHS.text,
};

type Deps = { store: Pick<Store, 'captures'>; evidence: EvidenceStore };

export interface BundleResult {
  file: string;
  leadId: number;
  manifestSha256: string;
  manifest: EvidenceManifest;
  bytes: number;
  /** Every file of the bundle with its SHA-256, as `datapackage.json` lists them. */
  resources: DataPackageResource[];
}

interface DataPackageResource {
  name: string;
  path: string;
  /** `sha256:<hex>` */
  hash: string;
  bytes: number;
}

/** The largest bundle `verifyBundle` reads (bundles are a WARC, a PNG and some text). */
const MAX_BUNDLE_BYTES = 1024 * 1024 * 1024;

/** The lead's newest sealed manifest and its SHA-256; null when the lead has none. */
export async function leadManifest(
  deps: Deps,
  leadId: number,
): Promise<{ manifest: EvidenceManifest; manifestSha256: string } | null> {
  const row = (await deps.store.captures.ofLead(leadId))[0];
  if (!row?.manifest_sha256) return null;
  const bytes = await deps.evidence.get(row.manifest_sha256);
  return {
    manifest: JSON.parse(bytes.toString('utf8')) as EvidenceManifest,
    manifestSha256: row.manifest_sha256,
  };
}

const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`, 'utf8');

/**
 * The WACZ of `leadId`'s newest sealed capture, in memory. Every stored object is re-hashed on the
 * way: a file altered in the store is refused, not bundled.
 */
export async function buildBundle(
  deps: Deps,
  leadId: number,
): Promise<Omit<BundleResult, 'file' | 'bytes'> & { data: Uint8Array }> {
  const found = await leadManifest(deps, leadId);
  if (!found) throw new NonRetryableError('internal', `lead ${leadId} has no sealed evidence yet`);
  const { manifest, manifestSha256 } = found;
  const files = new Map<string, Buffer>();
  files.set(WACZ_PATHS.manifest, await deps.evidence.get(manifestSha256));
  for (const f of manifest.files) files.set(ROLE_PATH[f.role], await deps.evidence.get(f.sha256));
  const warc = files.get(WACZ_PATHS.warc);
  const index = warc ? cdxjIndex(warc, 'capture.warc.gz') : '';
  if (index) files.set(WACZ_PATHS.index, Buffer.from(index, 'utf8'));
  const lead = await deps.store.captures.leadCase(leadId);
  const text = files.get(WACZ_PATHS.text)?.toString('utf8') ?? '';
  const pages = [
    { format: 'json-pages-1.0', id: 'pages', title: 'All Pages', hasText: true },
    {
      id: `lead-${leadId}`,
      url: manifest.finalUrl,
      ts: manifest.capturedAt,
      title: lead?.lead.title ?? '',
      text,
    },
  ];
  files.set(WACZ_PATHS.pages, Buffer.from(pages.map((p) => `${JSON.stringify(p)}\n`).join(''), 'utf8'));
  files.set(
    WACZ_PATHS.case,
    json({ format: 'spiderweb-case/1', evidenceManifestSha256: manifestSha256, ...lead }),
  );

  const resources: DataPackageResource[] = [...files].map(([path, data]) => ({
    name: path.split('/').pop() ?? path,
    path,
    hash: `sha256:${sha256Hex(data)}`,
    bytes: data.length,
  }));
  const datapackage = json({
    profile: 'data-package',
    wacz_version: '1.1.1',
    title: `Spiderweb lead ${leadId}`,
    created: new Date().toISOString(),
    software: `Spiderweb ${spiderwebVersion()}`,
    mainPageUrl: manifest.finalUrl,
    mainPageDate: manifest.capturedAt,
    resources,
  });
  const digest = json({ path: WACZ_PATHS.datapackage, hash: `sha256:${sha256Hex(datapackage)}` });
  const mtime = new Date(manifest.sealedAt);
  const zip: Zippable = {};
  for (const [path, data] of [
    ...files,
    [WACZ_PATHS.datapackage, datapackage] as const,
    [WACZ_PATHS.digest, digest] as const,
  ])
    zip[path] = [data, { level: 0, mtime }];
  return { leadId, manifestSha256, manifest, resources, data: zipSync(zip) };
}

/** Writes the WACZ of `leadId`'s newest sealed capture to `outFile` (written beside it, then renamed). */
export async function writeBundle(deps: Deps, leadId: number, outFile: string): Promise<BundleResult> {
  const { data, ...built } = await buildBundle(deps, leadId);
  const tmp = `${outFile}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, outFile);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  return { ...built, file: outFile, bytes: data.length };
}

export type FileStatus = 'ok' | 'altered' | 'missing' | 'extra';

export interface FileCheck {
  /** The file's path inside the bundle. */
  name: string;
  status: FileStatus;
  expectedSha256: string | null;
  actualSha256: string | null;
}

export interface VerifyReport {
  file: string;
  /** True only when every check passed. */
  intact: boolean;
  /** The sealed evidence manifest (`spiderweb/manifest.json`). */
  manifest: {
    status: 'ok' | 'altered' | 'missing' | 'unreadable' | 'unexpected';
    /** SHA-256 of the manifest as found. */
    sha256: string | null;
    /** What `datapackage.json` records for it. */
    recorded: string | null;
  };
  files: FileCheck[];
  /** One sentence per problem, each naming the file concerned. Empty when intact. */
  problems: string[];
  /** The manifest as found (even when altered), when it parses. */
  content: EvidenceManifest | null;
}

export interface VerifyOptions {
  /** The manifest SHA-256 recorded elsewhere (the store, the case file): the bundle must carry exactly it. */
  expectedManifestSha256?: string;
}

const hexOf = (hash: unknown) =>
  typeof hash === 'string' ? (/^sha256:([0-9a-f]{64})$/i.exec(hash)?.[1]?.toLowerCase() ?? null) : null;

/**
 * Re-checks every hash of a bundle: `datapackage.json` against `datapackage-digest.json`, every file
 * against `datapackage.json`, and the WARC, screenshot and text against the sealed manifest. Reports
 * exactly which file was altered, missing or added.
 */
export async function verifyBundle(file: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = {
    file,
    intact: false,
    manifest: { status: 'missing', sha256: null, recorded: null },
    files: [],
    problems: [],
    content: null,
  };
  const fail = (p: string) => {
    report.problems.push(p);
    return report;
  };
  const expected = opts.expectedManifestSha256?.toLowerCase();
  if (expected !== undefined && !SHA256_HEX.test(expected)) {
    throw new UsageError(
      `expected manifest SHA-256 must be 64 hex digits, got "${opts.expectedManifestSha256}"`,
    );
  }
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  if (size > MAX_BUNDLE_BYTES) return fail(`${file} is ${size} bytes: too large to be an evidence bundle`);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(await readFile(file));
  } catch (err) {
    return fail(`the bundle's zip structure is damaged (${errorMessage(err)}): no file can be checked`);
  }
  const bytesOf = (path: string) => {
    const e = entries[path];
    return e ? Buffer.from(e.buffer, e.byteOffset, e.length) : undefined;
  };

  const dp = bytesOf(WACZ_PATHS.datapackage);
  if (!dp) return fail(`${WACZ_PATHS.datapackage} is missing: no file can be checked`);
  const dpDigest = bytesOf(WACZ_PATHS.digest);
  let recordedDp: string | null = null;
  try {
    recordedDp = dpDigest ? hexOf((JSON.parse(dpDigest.toString('utf8')) as { hash?: unknown }).hash) : null;
  } catch {
    recordedDp = null;
  }
  if (!dpDigest)
    report.problems.push(`${WACZ_PATHS.digest} is missing: ${WACZ_PATHS.datapackage} cannot be checked`);
  else if (!recordedDp) report.problems.push(`${WACZ_PATHS.digest} does not hold a SHA-256: it was altered`);
  else if (recordedDp !== sha256Hex(dp))
    report.problems.push(
      `${WACZ_PATHS.datapackage} was altered: its SHA-256 is ${sha256Hex(dp)}, ${WACZ_PATHS.digest} records ${recordedDp}`,
    );

  let resources: Array<{ path?: unknown; hash?: unknown; bytes?: unknown }>;
  try {
    const parsed = JSON.parse(dp.toString('utf8')) as { resources?: unknown };
    if (!Array.isArray(parsed.resources)) throw new Error('no "resources" list');
    resources = parsed.resources as typeof resources;
  } catch (err) {
    return fail(`${WACZ_PATHS.datapackage} cannot be read (${errorMessage(err)}): no file can be checked`);
  }

  const listed = new Set<string>([WACZ_PATHS.datapackage, WACZ_PATHS.digest]);
  const check = (name: string, want: string | null, size: number | null, against: string) => {
    const data = bytesOf(name);
    if (!data) {
      report.files.push({ name, status: 'missing', expectedSha256: want, actualSha256: null });
      report.problems.push(`${name} is missing from the bundle`);
      return;
    }
    const got = sha256Hex(data);
    const ok = got === want && (size === null || size === data.length);
    report.files.push({ name, status: ok ? 'ok' : 'altered', expectedSha256: want, actualSha256: got });
    if (!ok) report.problems.push(`${name} was altered: its SHA-256 is ${got}, ${against} records ${want}`);
  };
  for (const r of resources) {
    const name = String(r?.path);
    listed.add(name);
    check(name, hexOf(r?.hash), typeof r?.bytes === 'number' ? r.bytes : null, WACZ_PATHS.datapackage);
    if (name === WACZ_PATHS.manifest) report.manifest.recorded = hexOf(r?.hash);
  }
  for (const name of Object.keys(entries)) {
    if (listed.has(name)) continue;
    report.files.push({
      name,
      status: 'extra',
      expectedSha256: null,
      actualSha256: sha256Hex(entries[name]!),
    });
    report.problems.push(`${name} is not named in ${WACZ_PATHS.datapackage} (added to the bundle)`);
  }

  const manifestBytes = bytesOf(WACZ_PATHS.manifest);
  if (!manifestBytes) return fail(`${WACZ_PATHS.manifest} is missing: the capture cannot be attested`);
  const actual = sha256Hex(manifestBytes);
  report.manifest.sha256 = actual;
  report.manifest.status = report.manifest.recorded === actual ? 'ok' : 'altered';
  if (expected !== undefined && actual !== expected) {
    report.manifest.status = 'unexpected';
    report.problems.push(
      `${WACZ_PATHS.manifest} is not the recorded one: its SHA-256 is ${actual}, the record says ${expected}`,
    );
  }
  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as EvidenceManifest;
    if (!Array.isArray(manifest.files)) throw new Error('no "files" list');
  } catch (err) {
    report.manifest.status = 'unreadable';
    return fail(`${WACZ_PATHS.manifest} cannot be read (${errorMessage(err)})`);
  }
  report.content = manifest;
  // The sealed manifest names the capture's own files: a file rewritten together with datapackage.json
  // still differs from what was sealed.
  const flagged = new Set(report.files.filter((f) => f.status !== 'ok').map((f) => f.name));
  for (const f of manifest.files) {
    const name = ROLE_PATH[f.role] ?? String(f.name);
    const data = bytesOf(name);
    if (flagged.has(name) || !data) continue;
    const got = sha256Hex(data);
    if (got === f.sha256) continue;
    const row = report.files.find((x) => x.name === name);
    if (row) Object.assign(row, { status: 'altered', expectedSha256: f.sha256 });
    report.problems.push(
      `${name} was altered: its SHA-256 is ${got}, ${WACZ_PATHS.manifest} records ${f.sha256}`,
    );
  }
  report.intact = report.problems.length === 0;
  return report;
}
