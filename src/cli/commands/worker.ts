import { once } from 'node:events';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { log } from '../../log.ts';
import { redact } from '../../queue/index.ts';
import { openRuntime, startWorkers } from '../../runtime/index.ts';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer ≥ 0');
  return n;
};

export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'run fetch and classify workers on the shared Redis until SIGTERM/SIGINT (for extra machines)',
    )
    .option('--concurrency <n>', 'fetch jobs in flight (0: no fetch worker)', int)
    .option('--classify-concurrency <n>', 'classify jobs in flight (0: no classify worker)', int)
    .action(async (opts: { concurrency?: number; classifyConcurrency?: number }, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      const fetch = opts.concurrency ?? config.runtime.concurrency.fetch;
      const classify = opts.classifyConcurrency ?? config.runtime.concurrency.classify;
      if (fetch + classify === 0) throw new UsageError('nothing to do: both concurrencies are 0');
      await runWorkerProcess(config, { fetch, classify });
    });
}

/** Runs workers until SIGTERM/SIGINT, then stops taking jobs, finishes the ones in hand and closes. */
export async function runWorkerProcess(
  config: Awaited<ReturnType<typeof loadConfig>>,
  counts: { fetch: number; classify: number },
): Promise<void> {
  const rt = await openRuntime(config, { watchLexicons: true });
  const set = startWorkers(rt, counts);
  const wlog = log.child({ component: 'worker' });
  wlog.info(
    {
      redis: redact(rt.redis.url),
      store: rt.store.location,
      lexicons: rt.lexiconStatus().version,
      ...counts,
    },
    'worker ready',
  );
  const [signal] = await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  wlog.info({ signal }, 'stopping: finishing jobs in hand');
  await set.close();
  await rt.close();
  wlog.info('stopped');
}
