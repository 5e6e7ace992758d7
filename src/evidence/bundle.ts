/**
 * Evidence bundles: one tar per lead capture holding `manifest.json`, `manifest.sha256` (in
 * `sha256sum` format, so `sha256sum -c manifest.sha256` works too) and the files the manifest
 * names (`capture.warc.gz`, `screenshot.png`, `text.txt`). A name ending in `.gz` or `.tgz` is
 * gzipped; plain tar is the default because a damaged byte in it can still be pinned to one file.
 *
 * `manifest.sha256` travels with the manifest, so it proves the manifest matches itself, not that
 * nobody rewrote both: check the manifest's SHA-256 against the one recorded in the store or the
 * case file (`verifyBundle(file, { expectedManifestSha256 })`).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Kysely } from 'kysely';
import { NonRetryableError, UsageError, errorMessage } from '../errors.ts';
import type { Database } from '../leads/schema.ts';
import { SHA256_HEX, sha256Hex } from './digest.ts';
import { type EvidenceManifest, FILE_NAMES } from './manifest.ts';
import type { EvidenceStore } from './object-store.ts';
import { evidenceForLead } from './queries.ts';
import { readTar, TarError, type TarEntry, writeTar } from './tar.ts';

export interface BundleResult {
  file: string;
  leadId: number;
  manifestSha256: string;
  manifest: EvidenceManifest;
  bytes: number;
}

/** The largest bundle `verifyBundle` reads (bundles are a WARC, a PNG and some text). */
const MAX_BUNDLE_BYTES = 1024 * 1024 * 1024;

/** The lead's newest sealed manifest and its SHA-256; null when the lead has none. */
export async function leadManifest(
  deps: { db: Kysely<Database>; evidence: EvidenceStore },
  leadId: number,
): Promise<{ manifest: EvidenceManifest; manifestSha256: string } | null> {
  const row = (await evidenceForLead(deps.db, leadId))[0];
  if (!row?.manifest_sha256) return null;
  const bytes = await deps.evidence.get(row.manifest_sha256);
  return {
    manifest: JSON.parse(bytes.toString('utf8')) as EvidenceManifest,
    manifestSha256: row.manifest_sha256,
  };
}

/**
 * Writes the bundle of `leadId`'s newest sealed capture to `outFile` (written beside it, then
 * renamed). Every object is re-hashed on the way: a file altered in the store is refused, not bundled.
 */
export async function writeBundle(
  deps: { db: Kysely<Database>; evidence: EvidenceStore },
  leadId: number,
  outFile: string,
): Promise<BundleResult> {
  const found = await leadManifest(deps, leadId);
  if (!found) throw new NonRetryableError('internal', `lead ${leadId} has no sealed evidence yet`);
  const { manifest, manifestSha256 } = found;
  const manifestBytes = await deps.evidence.get(manifestSha256);
  const mtime = Math.floor(Date.parse(manifest.sealedAt) / 1000) || 0;
  const entries: TarEntry[] = [
    { name: FILE_NAMES.manifest, data: manifestBytes, mtime },
    {
      name: FILE_NAMES.manifestHash,
      data: Buffer.from(`${manifestSha256}  ${FILE_NAMES.manifest}\n`),
      mtime,
    },
  ];
  for (const f of manifest.files)
    entries.push({ name: f.name, data: await deps.evidence.get(f.sha256), mtime });
  const tar = writeTar(entries);
  const data = /\.(t?gz)$/i.test(outFile) ? gzipSync(tar) : tar;
  const tmp = `${outFile}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, outFile);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  return { file: outFile, leadId, manifestSha256, manifest, bytes: data.length };
}

export type FileStatus = 'ok' | 'altered' | 'missing' | 'extra';

export interface FileCheck {
  name: string;
  status: FileStatus;
  expectedSha256: string | null;
  actualSha256: string | null;
}

export interface VerifyReport {
  file: string;
  /** True only when every check passed. */
  intact: boolean;
  manifest: {
    status: 'ok' | 'altered' | 'missing' | 'unreadable' | 'unexpected';
    /** SHA-256 of `manifest.json` as found. */
    sha256: string | null;
    /** What `manifest.sha256` records. */
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

/** Re-checks every hash of a bundle; reports exactly which file was altered, missing or extra. */
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
  let data = await readFile(file);
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data);
    } catch (err) {
      return fail(`the bundle's gzip layer is damaged (${errorMessage(err)}): no file can be checked`);
    }
  }
  let entries: TarEntry[];
  try {
    entries = readTar(data);
  } catch (err) {
    if (err instanceof TarError) {
      return fail(
        `the bundle's tar structure is damaged at byte ${err.offset}${err.entry ? ` (entry "${err.entry}")` : ''}: ${err.message}`,
      );
    }
    throw err;
  }
  const byName = new Map<string, TarEntry>();
  for (const e of entries) {
    if (byName.has(e.name)) report.problems.push(`${e.name} appears more than once in the bundle`);
    byName.set(e.name, e);
  }

  const manifestEntry = byName.get(FILE_NAMES.manifest);
  const hashEntry = byName.get(FILE_NAMES.manifestHash);
  if (!manifestEntry) return fail(`${FILE_NAMES.manifest} is missing: no file can be checked`);
  const actual = sha256Hex(manifestEntry.data);
  report.manifest.sha256 = actual;
  const recorded = hashEntry
    ? (/^([0-9a-f]{64})\b/i.exec(hashEntry.data.toString('utf8'))?.[1] ?? null)
    : null;
  report.manifest.recorded = recorded?.toLowerCase() ?? null;
  if (!hashEntry) {
    report.problems.push(
      `${FILE_NAMES.manifestHash} is missing: the manifest's own integrity cannot be checked`,
    );
  } else if (!report.manifest.recorded) {
    report.manifest.status = 'altered';
    report.problems.push(`${FILE_NAMES.manifestHash} does not hold a SHA-256: it was altered`);
  } else if (report.manifest.recorded !== actual) {
    report.manifest.status = 'altered';
    report.problems.push(
      `${FILE_NAMES.manifest} was altered: its SHA-256 is ${actual}, ${FILE_NAMES.manifestHash} records ${report.manifest.recorded}`,
    );
  } else report.manifest.status = 'ok';
  if (expected !== undefined && actual !== expected) {
    report.manifest.status = 'unexpected';
    report.problems.push(
      `${FILE_NAMES.manifest} is not the recorded one: its SHA-256 is ${actual}, the record says ${expected}`,
    );
  }

  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(manifestEntry.data.toString('utf8')) as EvidenceManifest;
    if (!Array.isArray(manifest.files)) throw new Error('no "files" list');
  } catch (err) {
    report.manifest.status = 'unreadable';
    return fail(`${FILE_NAMES.manifest} cannot be read (${errorMessage(err)}): no file can be checked`);
  }
  report.content = manifest;

  const listed = new Set<string>([FILE_NAMES.manifest, FILE_NAMES.manifestHash]);
  for (const f of manifest.files) {
    const name = String(f?.name);
    const want = typeof f?.sha256 === 'string' ? f.sha256.toLowerCase() : null;
    listed.add(name);
    const entry = byName.get(name);
    if (!entry) {
      report.files.push({ name, status: 'missing', expectedSha256: want, actualSha256: null });
      report.problems.push(`${name} is missing from the bundle`);
      continue;
    }
    const got = sha256Hex(entry.data);
    const ok = got === want && (typeof f.size !== 'number' || f.size === entry.data.length);
    report.files.push({ name, status: ok ? 'ok' : 'altered', expectedSha256: want, actualSha256: got });
    if (!ok) report.problems.push(`${name} was altered: its SHA-256 is ${got}, the manifest records ${want}`);
  }
  for (const e of entries) {
    if (listed.has(e.name)) continue;
    listed.add(e.name);
    report.files.push({
      name: e.name,
      status: 'extra',
      expectedSha256: null,
      actualSha256: sha256Hex(e.data),
    });
    report.problems.push(`${e.name} is not named in the manifest (added to the bundle)`);
  }
  report.intact = report.problems.length === 0;
  return report;
}
