import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.ts';
import { sha256Hex } from './digest.ts';

/** Fixed file names inside a bundle and in a manifest's `files`. */
export const FILE_NAMES = {
  warc: 'capture.warc.gz',
  screenshot: 'screenshot.png',
  text: 'text.txt',
  manifest: 'manifest.json',
} as const;

export type FileRole = 'warc' | 'screenshot' | 'text';

export interface ManifestFile {
  /** Name in a bundle (`capture.warc.gz`, `screenshot.png`, `text.txt`). */
  name: string;
  role: FileRole;
  mediaType: string;
  /** SHA-256 of the file's bytes, hex; also its object name in the evidence store. */
  sha256: string;
  size: number;
}

/** How the screenshot was made, or why there is none. */
export type ScreenshotInfo =
  | {
      /** `captured-body`: the captured HTML rendered offline (JS off, network blocked); `browser-render`: the live render. */
      source: 'captured-body' | 'browser-render';
      takenAt: string;
    }
  | { source: 'none'; reason: string };

/**
 * What one capture attests. Times are ISO 8601 UTC. Serialised with `serialiseManifest` (fixed key
 * order, two-space indent, final newline); its SHA-256 is the manifest's identity.
 */
export interface EvidenceManifest {
  format: 'spiderweb-evidence/1';
  spiderwebVersion: string;
  leadId: number | null;
  pageId: number | null;
  siteId: string | null;
  /** The URL asked for. */
  url: string;
  /** The URL after redirects. */
  finalUrl: string;
  /** Each redirect hop, in order. */
  redirects: string[];
  status: number;
  contentType: string;
  charset: string;
  /** True when the body was cut at the fetcher's size cap. */
  truncated: boolean;
  fetcher: 'http' | 'browser';
  /** Proxy used, password replaced by `***`; null for a direct connection. */
  proxy: string | null;
  /** When the response was received (the capture time). */
  capturedAt: string;
  /** When this manifest was written (screenshot and sealing happen when the page becomes a lead). */
  sealedAt: string;
  /** SHA-256 of the captured payload (entity body after content-encoding was removed, or the rendered DOM). */
  payloadSha256: string;
  screenshot: ScreenshotInfo;
  files: ManifestFile[];
}

/** The manifest's bytes: stable key order (as built), two-space indent, trailing newline. */
export function serialiseManifest(m: EvidenceManifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
}

export function manifestSha256(m: EvidenceManifest): string {
  return sha256Hex(serialiseManifest(m));
}

/** `scheme://user:***@host:port` — the proxy an investigator can name without leaking its password. */
export function redactProxy(proxy: string | null | undefined): string | null {
  if (!proxy) return null;
  try {
    const u = new URL(proxy);
    if (u.password) u.password = '***';
    return u.href.replace(/\/$/, '');
  } catch {
    return proxy.replace(/:[^:@/]*@/, ':***@');
  }
}

let version: string | undefined;

/** Spiderweb's version from package.json (read once, on first use). */
export function spiderwebVersion(): string {
  if (version === undefined) {
    const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as {
      version?: unknown;
    };
    version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  }
  return version;
}
