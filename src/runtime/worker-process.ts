import { once } from 'node:events';
import type { Config } from '../config/index.ts';
import { log } from '../log.ts';
import { redact } from '../queue/index.ts';
import { openRuntime } from './runtime.ts';
import { startWorkers } from './workers.ts';

/**
 * A worker process: runs fetch and/or classify workers on the shared Redis until SIGTERM or SIGINT,
 * then stops taking jobs, finishes (or returns) the ones in hand, and closes everything.
 */
export async function runWorkerProcess(
  config: Config,
  counts: { fetch: number; classify: number },
): Promise<void> {
  const rt = await openRuntime(config, { watchLexicons: counts.classify > 0 });
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
