import type { Command } from 'commander';
import { intOption, out, table } from '../output.ts';
import { openStore } from './leads.ts';

export function register(program: Command): void {
  program
    .command('crawls')
    .description('list the latest crawls with their state (running, finished, cancelled, lost...) and why')
    .option('--limit <n>', 'how many, newest first', intOption('--limit', 1), 20)
    .option('--json', 'one JSON object per line')
    .action(async (opts: { limit: number; json?: boolean }, cmd: Command) => {
      const store = await openStore(cmd);
      try {
        const rows = await store.listCrawls(opts.limit);
        if (opts.json) {
          for (const r of rows) out(JSON.stringify(r));
          return;
        }
        out(
          table(
            ['id', 'started', 'state', 'pages', 'sites', 'reason'],
            rows.map((r) => [r.id, r.startedAt, r.state, r.pages, r.sites.join(','), r.reason]),
            100,
          ),
        );
      } finally {
        await store.close();
      }
    });
}
