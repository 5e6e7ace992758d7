import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { runWorkerProcess } from '../../runtime/index.ts';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer ≥ 0');
  return n;
};

interface WorkerCliOptions {
  concurrency?: number;
  classifyConcurrency?: number;
  metricsPort?: number;
  metricsHost: string;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'run fetch and classify workers on the shared Redis until SIGTERM/SIGINT (for extra machines)',
    )
    .option('--concurrency <n>', 'fetch jobs in flight (0: no fetch worker)', int)
    .option('--classify-concurrency <n>', 'classify jobs in flight (0: no classify worker)', int)
    .option(
      '--metrics-port <port>',
      'serve Prometheus /metrics and /healthz on this port (0: any free port)',
      int,
    )
    .option('--metrics-host <host>', 'address for --metrics-port', '127.0.0.1')
    .action(async (opts: WorkerCliOptions, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      const fetch = opts.concurrency ?? config.runtime.concurrency.fetch;
      const classify = opts.classifyConcurrency ?? config.runtime.concurrency.classify;
      if (fetch + classify === 0) throw new UsageError('nothing to do: both concurrencies are 0');
      await runWorkerProcess(
        config,
        { fetch, classify },
        {
          metricsHost: opts.metricsHost,
          ...(opts.metricsPort === undefined ? {} : { metricsPort: opts.metricsPort }),
        },
      );
    });
}
