/**
 * Where the review app serves, for the commands that print links to it (`analyst link`): `serve`
 * writes `<dataDir>/review-app.json` (its URL and process id) when it starts and removes it when it
 * stops. A file left by a process that is gone is ignored.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'review-app.json';

export async function recordServedUrl(dataDir: string, url: string): Promise<{ remove(): Promise<void> }> {
  const file = join(dataDir, FILE);
  await mkdir(dataDir, { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ url, pid: process.pid, startedAt: new Date().toISOString() })}\n`,
  );
  return { remove: () => rm(file, { force: true }) };
}

/** The URL of the review app serving this data directory now, or null. */
export function servedUrl(dataDir: string): string | null {
  try {
    const { url, pid } = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as {
      url?: unknown;
      pid?: unknown;
    };
    if (typeof url !== 'string' || typeof pid !== 'number') return null;
    process.kill(pid, 0); // throws when no such process
    return url;
  } catch {
    return null;
  }
}
