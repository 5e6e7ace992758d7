/**
 * Fetch worker entry point: `npx tsx workers/fetch.ts [--concurrency N]` (config from SPIDERWEB_CONFIG
 * or ./config). Runs `spiderweb worker --classify-concurrency 0`: the same code, options and shutdown.
 */
import { main } from '../src/cli/main.ts';

// `main` resolves when the worker has stopped; handles such as the evidence writer thread are not waited for.
process.exit(
  await main([
    ...process.argv.slice(0, 2),
    'worker',
    '--classify-concurrency',
    '0',
    ...process.argv.slice(2),
  ]),
);
