/**
 * Classify worker entry point: `npx tsx workers/classify.ts` (config from SPIDERWEB_CONFIG or ./config).
 * The same as `spiderweb worker --concurrency 0`; the processor is `processClassify` in src/leads.
 */
import { loadConfig } from '../src/config/index.ts';
import { runWorkerProcess } from '../src/runtime/index.ts';

const config = await loadConfig(process.env.SPIDERWEB_CONFIG ?? 'config');
await runWorkerProcess(config, { fetch: 0, classify: config.runtime.concurrency.classify });
