import type { Redis } from 'ioredis';
import type { CompiledLexicons } from '../classify/index.ts';
import { type Config, type LexiconStatus, LexiconWatcher, loadLexicons } from '../config/index.ts';
import { closeHttpDispatchers, PolitenessGate, RobotsCache, SiteFetcher } from '../crawl/index.ts';
import { EvidenceStore } from '../evidence/index.ts';
import { Store } from '../leads/index.ts';
import { log } from '../log.ts';
import { CrawlState, ensureRedis, Queues, type RedisHandle } from '../queue/index.ts';
import { OutageWatch } from './outage.ts';

/** Everything a crawl or a worker process needs, opened once and closed once. */
export interface Runtime {
  config: Config;
  redis: RedisHandle;
  /** Shared connection for queues and crawl state (workers open their own blocking ones). */
  conn: Redis;
  queues: Queues;
  state: CrawlState;
  store: Store;
  /** Fetches pages per site settings (HTTP, or Chromium started on first use). */
  fetcher: SiteFetcher;
  /** Per-host politeness shared through Redis. */
  gate: PolitenessGate;
  robots: RobotsCache;
  /** Says once that Redis does not answer, and when it is back; `since` bounds how long a crawl waits. */
  outage: OutageWatch;
  /** Content-addressed evidence files in `<dataDir>/evidence`. */
  evidence: EvidenceStore;
  /** The lexicons in force now (hot-reloaded when the runtime watches them). */
  lexicons(): CompiledLexicons;
  lexiconStatus(): LexiconStatus;
  close(): Promise<void>;
}

/**
 * Opens Redis (or starts a private one), the store and the lexicons named by `config`. With
 * `watchLexicons`, edits to the lexicon files reach this process without a restart.
 */
export async function openRuntime(config: Config, opts: { watchLexicons?: boolean } = {}): Promise<Runtime> {
  const lexicons = new LexiconWatcher(
    config.lexiconsDir,
    await loadLexicons(config.lexiconsDir),
    log.child({ component: 'lexicons' }),
  );
  if (opts.watchLexicons) await lexicons.start();
  const redis = await ensureRedis(config.runtime.redis.url);
  const conn = redis.connect();
  const outage = new OutageWatch(log.child({ component: 'redis' }));
  conn.on('error', (err) => outage.failed(err));
  conn.on('ready', () => outage.answered());
  let store: Store;
  try {
    store = await Store.open(config.runtime.store.url, config.runtime.dataDir, {
      ignoreIdentifiers: config.runtime.linking.ignore,
      siteWide: {
        share: config.runtime.linking.siteWideShare,
        minPages: config.runtime.linking.siteWideMinPages,
      },
    });
    // Site-wide marks follow the configured share (it may have changed since the counts were stored).
    const remarked = await store.reconcileSiteWide();
    if (remarked)
      log.info({ identifiers: remarked }, 'site-wide identifiers re-marked for linking.siteWide*');
  } catch (err) {
    conn.disconnect();
    await redis.stop();
    throw err;
  }
  const prefix = config.runtime.redis.prefix;
  const queues = new Queues(conn, prefix);
  const b = config.runtime.browser;
  const gate = new PolitenessGate({ redis: conn, prefix });
  const fetcher = new SiteFetcher(
    {
      maxConcurrentPages: b.maxConcurrentPages,
      maxPagesPerBrowser: b.maxPagesPerBrowser,
      ...(b.executablePath ? { executablePath: b.executablePath } : {}),
    },
    gate,
  );
  const state = new CrawlState(conn, prefix);
  let closed = false;
  return {
    config,
    redis,
    conn,
    queues,
    state,
    store,
    fetcher,
    gate,
    robots: new RobotsCache({ redis: conn, prefix }),
    outage,
    evidence: EvidenceStore.forDataDir(config.runtime.dataDir),
    lexicons: () => lexicons.current(),
    lexiconStatus: () => lexicons.state(),
    async close() {
      if (closed) return;
      closed = true;
      lexicons.close();
      if (conn.status === 'ready') {
        await state.flush().catch(() => {}); // display counters: best effort
        await queues.close();
        await conn.quit().catch(() => conn.disconnect());
      } else {
        // Redis is gone: commands would wait for it forever. Drop the connection; nothing stored is lost.
        conn.disconnect();
        await Promise.race([queues.close().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
      }
      await store.close();
      await fetcher.close();
      await closeHttpDispatchers();
      await redis.stop();
    },
  };
}
