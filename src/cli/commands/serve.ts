import { once } from 'node:events';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../../config/index.ts';
import { EvidenceStore } from '../../evidence/index.ts';
import { Store } from '../../leads/index.ts';
import { Queues } from '../../queue/index.ts';
import { createOneTimeLogin, recordServedUrl, startReviewServer } from '../../review/index.ts';
import { intOption, out } from '../output.ts';
import { Redis } from 'ioredis';

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the review app (lead queue, lead pages, decisions, audit log, API, exports) until Ctrl-C',
    )
    .option('--host <host>', 'interface to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free one)', intOption('--port', 0), 8080)
    .option('--secure-cookies', 'mark cookies Secure (when a TLS proxy serves the app over HTTPS)')
    .option(
      '--login <name>',
      'print a one-time sign-in link for this analyst (the account is created if missing)',
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      await serveReview(await loadConfig(cmd.optsWithGlobals().config), opts);
    });
}

export interface ServeOptions {
  host: string;
  port: number;
  secureCookies?: boolean;
  /** Print a one-time sign-in link for this analyst (created if missing). */
  login?: string;
}

/** Serves the review app over the configured store until SIGINT/SIGTERM (`serve`, and the demo). */
export async function serveReview(config: Config, opts: ServeOptions): Promise<void> {
  const store = await Store.open(config.runtime.store.url, config.runtime.dataDir, {
    ignoreIdentifiers: config.runtime.linking.ignore,
    siteWide: {
      share: config.runtime.linking.siteWideShare,
      minPages: config.runtime.linking.siteWideMinPages,
    },
  });
  // The queues' job counts at /queues, when a Redis is configured (serve never starts one itself).
  const redisUrl = config.runtime.redis.url;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: true }) : null;
  redis?.on('error', () => {});
  const queues = redis ? new Queues(redis, config.runtime.redis.prefix) : null;
  const server = await startReviewServer({
    store,
    host: opts.host,
    port: opts.port,
    secureCookies: opts.secureCookies === true,
    evidenceStore: EvidenceStore.forDataDir(config.runtime.dataDir),
    lexiconsDir: config.lexiconsDir,
    // Proposals live beside the lexicons (config/) or under the data directory; nothing else is read.
    whatIfRoots: [config.dir, config.runtime.dataDir],
    siteKinds: new Map([...config.sites].map(([id, s]) => [id, s.kind])),
    ...(queues
      ? {
          queueCounts: async () => ({
            fetch: await queues.fetch.getJobCounts(),
            classify: await queues.classify.getJobCounts(),
          }),
        }
      : {}),
  });
  out(`review app serving at ${server.url}/ (store ${store.location})`);
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1')
    out(`warning: listening on ${opts.host}: other machines can reach the sign-in page`);
  if (opts.login) {
    const link = await createOneTimeLogin(store, opts.login, { create: true });
    out(`sign in once as ${opts.login}: ${server.url}${link.path} (valid until ${link.expiresAt})`);
    if (!link.hasPassword)
      out(
        `${opts.login} has no password yet: \`npx spiderweb analyst passwd ${opts.login}\` sets one; \`npx spiderweb analyst link ${opts.login}\` prints another link`,
      );
  }
  // `analyst link` prints links to this address while the app runs.
  const served = await recordServedUrl(config.runtime.dataDir, server.url);
  out('press Ctrl-C to stop');
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  out('stopping');
  await served.remove();
  await server.close();
  await queues?.close();
  redis?.disconnect();
  await store.close();
}
