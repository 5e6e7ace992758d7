import { once } from 'node:events';
import type { Config } from '../config/index.ts';
import { log } from '../log.ts';
import { redact } from '../queue/index.ts';
import { Metrics, serveMetrics } from './metrics.ts';
import { openRuntime } from './runtime.ts';
import { startWorkers } from './workers.ts';

/**
 * A worker process: runs fetch and/or classify workers on the shared Redis until SIGTERM or SIGINT,
 * then stops taking jobs, finishes (or returns) the ones in hand, and closes everything. With a
 * `metricsPort` it serves Prometheus `/metrics` and `/healthz`.
 */
export async function runWorkerProcess(
  config: Config,
  counts: { fetch: number; classify: number },
  opts: { metricsHost?: string; metricsPort?: number } = {},
): Promise<void> {
  const rt = await openRuntime(config, { watchLexicons: counts.classify > 0 });
  const metrics = new Metrics(rt);
  const set = startWorkers(rt, { ...counts, metrics });
  const served =
    opts.metricsPort === undefined
      ? null
      : await serveMetrics(metrics, rt, opts.metricsHost ?? '127.0.0.1', opts.metricsPort);
  const wlog = log.child({ component: 'worker' });
  wlog.info(
    {
      redis: redact(rt.redis.url),
      store: rt.store.location,
      lexicons: rt.lexiconStatus().version,
      metrics: served ? `${served.url}metrics` : null,
      ...counts,
    },
    'worker ready',
  );
  const [signal] = await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  wlog.info({ signal }, 'stopping: finishing jobs in hand');
  await set.close();
  await served?.close();
  await rt.close();
  wlog.info('stopped');
}
