import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { identifiersWrittenAs } from '../../extract/index.ts';
import type { ClusterView, Store } from '../../leads/index.ts';
import { collect, out, table } from '../output.ts';
import { openStore } from './leads.ts';

async function withStore<T>(cmd: Command, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(cmd);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * Finds the cluster of a lead id (digits) or of an identifier, by its stored value or as a page would
 * write it (`t.me/mef_shop`, `+7 705 111 22 33`, a TON address's `UQ…` form): read by the extractor,
 * when the whole of `ref` is one identifier.
 */
export async function findCluster(store: Store, ref: string): Promise<ClusterView | null> {
  if (/^\d+$/.test(ref)) {
    const lead = await store.lead(Number(ref));
    if (lead?.cluster_id != null) return store.cluster(lead.cluster_id);
  }
  const value = ref.replace(/^@/, '');
  const identifier =
    (await store.findIdentifier(ref)) ??
    (await store.findIdentifier(value.toLowerCase())) ??
    (await asWritten(store, ref));
  if (!identifier) return null;
  const lead = (await store.leadsWithIdentifier(identifier.id))[0];
  return lead?.cluster_id != null ? store.cluster(lead.cluster_id) : null;
}

async function asWritten(store: Store, ref: string): ReturnType<Store['findIdentifier']> {
  for (const i of identifiersWrittenAs(ref)) {
    const row = await store.findIdentifier(i.value, i.type);
    if (row) return row;
  }
  return undefined;
}

export function register(program: Command): void {
  program
    .command('identifiers')
    .description('list payment and contact identifiers with the leads that carry them')
    .option(
      '--type <type>',
      'only this type: btc, eth, tron, ton, ltc, xmr, card, phone, telegram, email, ... (repeatable)',
      collect,
    )
    .option('--min-leads <n>', 'only identifiers carried by at least n leads', '0')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { type?: string[]; minLeads: string; json?: boolean }, cmd: Command) => {
      const minLeads = Number(opts.minLeads);
      if (!Number.isInteger(minLeads) || minLeads < 0)
        throw new UsageError(`--min-leads ${opts.minLeads}: use a whole number`);
      await withStore(cmd, async (store) => {
        const rows = await store.identifiers({ ...(opts.type ? { type: opts.type } : {}), minLeads });
        if (opts.json) {
          for (const r of rows) out(JSON.stringify(r));
          return;
        }
        out(
          table(
            ['type', 'value', 'leads', 'pages', 'clusters', 'validated', 'last seen'],
            rows.map((r) => [
              r.type,
              r.value,
              r.leads,
              r.pages,
              r.clusters,
              r.validated,
              r.last_seen.slice(0, 19),
            ]),
            70,
          ),
        );
        out(`${rows.length} identifier(s)`);
      });
    });

  program
    .command('cluster')
    .description(
      'show the cluster of leads linked to a lead id or an identifier (wallet, card, handle, phone)',
    )
    .argument(
      '<ref>',
      'a lead id, or an identifier as stored or as a page writes it: TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7, @mef_shop, t.me/mef_shop, +7 705 111 22 33',
    )
    .option('--json', 'as one JSON object')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const cluster = await findCluster(store, ref);
        if (!cluster) throw new UsageError(`no lead or linked identifier matches "${ref}"`);
        if (opts.json) {
          out(JSON.stringify(cluster));
          return;
        }
        out(`cluster ${cluster.clusterId}: ${cluster.leads.length} lead(s) on ${cluster.sites.join(', ')}`);
        out(`first seen ${cluster.firstSeen}, last seen ${cluster.lastSeen}`);
        out();
        out(
          table(
            ['lead', 'site', 'score', 'category', 'found via', 'title'],
            cluster.leads.map((l) => [l.id, l.siteId, l.score.toFixed(2), l.category, l.foundVia, l.title]),
            60,
          ),
        );
        out();
        out(
          table(
            ['type', 'value', 'leads', 'validated'],
            cluster.identifiers.map((i) => [i.type, i.value, i.leads, i.validated]),
            70,
          ),
        );
      });
    });
}
