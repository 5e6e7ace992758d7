import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { type LeadFilter, type LeadRow, type LeadStatus, Store } from '../../leads/index.ts';
import { leadJson } from '../../review/index.ts';
import { collect, out, table } from '../output.ts';

const STATUSES: LeadStatus[] = ['new', 'confirmed', 'dismissed', 'escalated'];

export interface FilterOptions {
  status?: string[];
  site?: string[];
  since?: string;
  minScore?: string;
  limit?: string;
}

/** The lead filter options shared by `leads` and `export`. */
export function filterOptions(cmd: Command): Command {
  return cmd
    .option('--status <status>', `only leads with this status: ${STATUSES.join('|')} (repeatable)`, collect)
    .option('--site <id>', 'only leads of this site (repeatable)', collect)
    .option('--since <date>', 'only leads seen on or after this date (YYYY-MM-DD or ISO time)')
    .option('--min-score <x>', 'only leads scoring at least x (0..1)')
    .option('--limit <n>', 'at most n leads');
}

export function toFilter(o: FilterOptions): LeadFilter {
  const f: LeadFilter = {};
  if (o.status?.length) {
    const bad = o.status.find((s) => !STATUSES.includes(s as LeadStatus));
    if (bad) throw new UsageError(`--status ${bad}: use one of ${STATUSES.join(', ')}`);
    f.status = o.status as LeadStatus[];
  }
  if (o.site?.length) f.siteId = o.site;
  if (o.since) {
    const d = new Date(o.since);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--since ${o.since}: not a date (use YYYY-MM-DD)`);
    f.since = d.toISOString();
  }
  if (o.minScore !== undefined) {
    const x = Number(o.minScore);
    if (!(x >= 0 && x <= 1)) throw new UsageError(`--min-score ${o.minScore}: use a number from 0 to 1`);
    f.minScore = x;
  }
  if (o.limit !== undefined) {
    const n = Number(o.limit);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit ${o.limit}: use a whole number ≥ 1`);
    f.limit = n;
  }
  return f;
}

/** Opens the configured store (SQLite in the data dir by default). */
export async function openStore(cmd: Command): Promise<Store> {
  const config = await loadConfig(cmd.optsWithGlobals().config);
  return Store.open(config.runtime.store.url, config.runtime.dataDir);
}

export function leadsTable(leads: LeadRow[]): string {
  return table(
    ['id', 'score', 'kind', 'category', 'substances', 'site', 'status', 'title'],
    leads.map((l) => [
      l.id,
      l.score.toFixed(2),
      l.kind,
      l.category,
      (JSON.parse(l.substances) as string[]).join(', '),
      l.site_id,
      l.gone_at ? `${l.status} (gone)` : l.status,
      l.title,
    ]),
    40,
  );
}

export function register(program: Command): void {
  filterOptions(program.command('leads').description('list leads, highest score first'))
    .option('--json', 'one JSON object per line')
    .action(async (opts: FilterOptions & { json?: boolean }, cmd: Command) => {
      const filter = toFilter(opts);
      const store = await openStore(cmd);
      try {
        const leads = await store.leads(filter);
        if (opts.json) for (const l of leads) out(JSON.stringify(leadJson(l)));
        else {
          out(leadsTable(leads));
          out(`${leads.length} lead(s) in ${store.location}`);
        }
      } finally {
        await store.close();
      }
    });
}
