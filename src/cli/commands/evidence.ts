import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { NonRetryableError, UsageError } from '../../errors.ts';
import {
  EvidenceStore,
  leadManifest,
  type VerifyReport,
  verifyBundle,
  writeBundle,
} from '../../evidence/index.ts';
import { Store } from '../../leads/index.ts';
import { out } from '../output.ts';

function leadId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`lead id "${value}": use the number shown by \`spiderweb leads\``);
  }
  return n;
}

/** The configured store and evidence directory, closed after `fn`. */
async function withStores<T>(
  cmd: Command,
  fn: (store: Store, evidence: EvidenceStore) => Promise<T>,
): Promise<T> {
  const config = await loadConfig(cmd.optsWithGlobals().config);
  const store = await Store.open(config.runtime.store.url, config.runtime.dataDir);
  try {
    return await fn(store, EvidenceStore.forDataDir(config.runtime.dataDir));
  } finally {
    await store.close();
  }
}

async function requireLead(store: Store, id: number): Promise<void> {
  if (!(await store.lead(id))) throw new UsageError(`lead ${id} is not in the store (${store.location})`);
}

function printReport(r: VerifyReport): void {
  for (const f of r.files)
    out(`${f.status.padEnd(8)} ${f.name}${f.actualSha256 ? `  sha256:${f.actualSha256}` : ''}`);
  if (r.intact) {
    out(`intact: every file matches datapackage.json and the sealed manifest (${r.file})`);
    return;
  }
  for (const p of r.problems) out(`ALTERED: ${p}`);
  out(`NOT intact: ${r.problems.length} problem(s) in ${r.file}`);
}

export function register(program: Command): void {
  const evidence = program
    .command('evidence')
    .description('preserved evidence of leads: WARC, screenshot, text and a manifest of SHA-256 hashes');

  evidence
    .command('bundle <lead-id>')
    .description(
      "write a lead's newest sealed capture as one WACZ (WARC, index, pages, screenshot, text, manifest, case file)",
    )
    .requiredOption('-o, --output <file>', 'the .wacz file to write')
    .action(async (id: string, opts: { output: string }, cmd: Command) => {
      const lead = leadId(id);
      await withStores(cmd, async (store, ev) => {
        await requireLead(store, lead);
        const r = await writeBundle({ store, evidence: ev }, lead, resolve(opts.output));
        for (const f of r.resources)
          out(`${f.path.padEnd(26)} ${String(f.bytes).padStart(8)} bytes  ${f.hash}`);
        out(`sealed manifest sha256:${r.manifestSha256}`);
        out(`wrote ${r.file} (${r.bytes} bytes) for lead ${lead}, captured ${r.manifest.capturedAt}`);
      });
    });

  evidence
    .command('verify <file>')
    .description('re-check every hash of a WACZ bundle; exit 0 when intact, 1 naming each altered file')
    .option('--expect <sha256>', "the manifest's SHA-256 as recorded elsewhere (case file)")
    .option('--against-store', "also require the manifest's SHA-256 to be recorded in the configured store")
    .option('--json', 'print the report as JSON')
    .action(
      async (
        file: string,
        opts: { expect?: string; againstStore?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const report = await verifyBundle(
          resolve(file),
          opts.expect ? { expectedManifestSha256: opts.expect } : {},
        );
        if (opts.againstStore && report.manifest.sha256) {
          const sha = report.manifest.sha256;
          await withStores(cmd, async (store) => {
            if (!(await store.captures.byManifest(sha))) {
              report.intact = false;
              report.manifest.status = 'unexpected';
              report.problems.push(
                `manifest.json (sha256:${sha}) is not recorded in the store ${store.location}`,
              );
            }
          });
        }
        if (opts.json) out(JSON.stringify(report, null, 2));
        else printReport(report);
        if (!report.intact) process.exitCode = 1;
      },
    );

  evidence
    .command('show <lead-id>')
    .description("print a lead's newest sealed manifest as JSON (with its SHA-256)")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const lead = leadId(id);
      await withStores(cmd, async (store, ev) => {
        await requireLead(store, lead);
        const found = await leadManifest({ store, evidence: ev }, lead);
        if (!found) throw new NonRetryableError('internal', `lead ${lead} has no sealed evidence yet`);
        out(JSON.stringify({ manifestSha256: found.manifestSha256, manifest: found.manifest }, null, 2));
      });
    });
}
