import type { Command } from 'commander';
import { loadConfig, siteSchema } from '../../config/index.ts';
import { demoSiteInput, startDemoMarket } from '../../demo/index.ts';
import { screenshotWarning } from '../../doctor/index.ts';
import { Store } from '../../leads/index.ts';
import { openRuntime, runCrawl } from '../../runtime/index.ts';
import { intOption, out, warn } from '../output.ts';
import { printSummary } from './crawl.ts';
import { leadsTable } from './leads.ts';
import { serveReview } from './serve.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('serve the bundled demo market on 127.0.0.1, crawl it into the data dir and print its leads')
    .option('--json', 'print the crawl summary as one JSON object instead of the tables')
    .option(
      '--no-serve',
      'exit after the crawl instead of serving the review app (also when stdin is not a terminal)',
    )
    .option('--port <port>', 'review app port (0: any free one)', intOption('--port', 0), 8080)
    .action(async (opts: { json?: boolean; serve: boolean; port: number }, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      const warning = await screenshotWarning(config);
      if (warning) warn(warning);
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
        } finally {
          await store.close();
        }
      } finally {
        await market.close();
      }
      if (opts.serve && process.stdin.isTTY && !opts.json) {
        out();
        await serveReview(config, { host: '127.0.0.1', port: opts.port, login: 'investigator' });
      } else {
        out('next: `npx spiderweb serve --login investigator` to review them in the browser,');
        out('      `npx spiderweb leads`, `npx spiderweb export --format csv`');
      }
    });
}
