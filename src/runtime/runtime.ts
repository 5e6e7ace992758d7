import type { Redis } from 'ioredis';
import type { CompiledLexicons } from '../classify/index.ts';
import { type Config, loadLexicons } from '../config/index.ts';
import { closeHttpDispatchers } from '../crawl/index.ts';
import { Store } from '../leads/index.ts';
import { log } from '../log.ts';
import { CrawlState, ensureRedis, Queues, type RedisHandle } from '../queue/index.ts';

/** Everything a crawl or a worker process needs, opened once and closed once. */
export interface Runtime {
  config: Config;
  redis: RedisHandle;
  /** Shared connection for queues and crawl state (workers open their own blocking ones). */
  conn: Redis;
  queues: Queues;
  state: CrawlState;
  store: Store;
  /** The lexicons in force now. */
  lexicons(): CompiledLexicons;
  close(): Promise<void>;
}

/** Opens Redis (or starts a private one), the store and the lexicons named by `config`. */
export async function openRuntime(config: Config): Promise<Runtime> {
  const lexicons = await loadLexicons(config.lexiconsDir);
  const redis = await ensureRedis(config.runtime.redis.url);
  const conn = redis.connect();
  conn.on('error', (err) =>
    log.child({ component: 'redis' }).warn({ err: err.message }, 'redis connection error'),
  );
  let store: Store;
  try {
    store = await Store.open(config.runtime.store.url, config.runtime.dataDir, {
      ignoreIdentifiers: config.runtime.linking.ignore,
    });
  } catch (err) {
    conn.disconnect();
    await redis.stop();
    throw err;
  }
  const prefix = config.runtime.redis.prefix;
  const queues = new Queues(conn, prefix);
  let closed = false;
  return {
    config,
    redis,
    conn,
    queues,
    state: new CrawlState(conn, prefix),
    store,
    lexicons: () => lexicons,
    async close() {
      if (closed) return;
      closed = true;
      await queues.close();
      await conn.quit().catch(() => conn.disconnect());
      await store.close();
      await closeHttpDispatchers();
      await redis.stop();
    },
  };
}
