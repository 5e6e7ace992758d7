import type { Command } from 'commander';
import { loadConfig, siteSchema } from '../../config/index.ts';
import { demoSiteInput, startDemoMarket } from '../../demo/index.ts';
import { Store } from '../../leads/index.ts';
import { openRuntime, runCrawl } from '../../runtime/index.ts';
import { out } from '../output.ts';
import { printSummary } from './crawl.ts';
import { leadsTable } from './leads.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('serve the bundled demo market on 127.0.0.1, crawl it into the data dir and print its leads')
    .option('--json', 'print the crawl summary as one JSON object instead of the tables')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      const market = await startDemoMarket({ host: '127.0.0.1', port: 0 });
      try {
        out(`demo market serving at ${market.url}`);
        const site = siteSchema.parse(demoSiteInput(market.url));
        const rt = await openRuntime(config);
        let summary: Awaited<ReturnType<typeof runCrawl>>;
        try {
          summary = await runCrawl(rt, {
            sites: [site],
            workers: {
              fetch: config.runtime.concurrency.fetch,
              classify: config.runtime.concurrency.classify,
            },
          });
        } finally {
          await rt.close();
        }
        if (opts.json) {
          out(JSON.stringify(summary));
          return;
        }
        printSummary(summary);
        const store = await Store.open(config.runtime.store.url, config.runtime.dataDir);
        try {
          const leads = await store.leads({ siteId: ['demo'] });
          out();
          out(leadsTable(leads));
          out();
          out(`${leads.length} lead(s) stored in ${store.location}`);
          out('next: `npx spiderweb leads`, `npx spiderweb export --format csv`');
        } finally {
          await store.close();
        }
      } finally {
        await market.close();
      }
    });
}
