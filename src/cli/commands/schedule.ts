import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { openRuntime, runSchedules } from '../../runtime/index.ts';
import { collect, intOption, out } from '../output.ts';
import { inProcessWorkers } from './crawl.ts';

export function register(program: Command): void {
  program
    .command('schedule')
    .description('recrawl the sites that declare `recrawl:` on their schedule, until SIGTERM/SIGINT')
    .option(
      '--site <id>',
      'only these sites (repeatable; default: every site with a recrawl schedule)',
      collect,
    )
    .option('--concurrency <n>', 'fetches in flight in this process', intOption('--concurrency', 1))
    .option(
      '--workers <n>',
      '0: leave the work to `spiderweb worker` processes; 1: work in this process',
      intOption('--workers', 0),
      1,
    )
    .action(async (opts: { site?: string[]; concurrency?: number; workers: number }, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      const all = [...config.sites.values()];
      const sites = all.filter((s) => s.recrawl && (!opts.site?.length || opts.site.includes(s.id)));
      if (!sites.length)
        throw new UsageError(
          `no site in ${config.dir}/sites has a recrawl schedule (recrawl: { every: 6h })`,
        );
      const rt = await openRuntime(config, { watchLexicons: opts.workers !== 0 });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      out(
        `recrawling ${sites.map((s) => `${s.id} (${s.recrawl!.every ?? s.recrawl!.cron})`).join(', ')}; Ctrl-C stops`,
      );
      try {
        await runSchedules(rt, {
          sites,
          pivotSites: all.filter((s) => s.search),
          workers: inProcessWorkers(config, opts),
          signal: abort.signal,
          onCrawl: (s) =>
            out(
              `${new Date().toISOString()} crawl ${s.crawlId}: ${s.pages} pages, ${s.failed} failed, ${s.leads} leads (${s.newLeads} new)`,
            ),
        });
      } finally {
        await rt.close();
      }
    });
}
