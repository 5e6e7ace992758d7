/**
 * Fetch worker entry point: `npx tsx workers/fetch.ts` (config from SPIDERWEB_CONFIG or ./config).
 * The same as `spiderweb worker --classify-concurrency 0`; the processor is `processFetch` in src/crawl.
 */
import { loadConfig } from '../src/config/index.ts';
import { runWorkerProcess } from '../src/runtime/index.ts';

const config = await loadConfig(process.env.SPIDERWEB_CONFIG ?? 'config');
await runWorkerProcess(config, { fetch: config.runtime.concurrency.fetch, classify: 0 });
