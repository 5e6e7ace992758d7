// Preloaded into `spiderweb worker` processes by `scale.ts --round-trips` (`node --import`): counts the
// queries this process sends to PostgreSQL (BEGIN and COMMIT included: every one is a round trip) and
// writes the count to `$SPIDERWEB_BENCH_ROUND_TRIPS/<pid>` when the process exits.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.env.SPIDERWEB_BENCH_ROUND_TRIPS;
if (dir) {
  const pg = createRequire(join(import.meta.dirname, '../../package.json'))('pg');
  const query = pg.Client.prototype.query;
  let sent = 0;
  pg.Client.prototype.query = function (...args) {
    sent++;
    return query.apply(this, args);
  };
  process.on('exit', () => writeFileSync(join(dir, String(process.pid)), String(sent)));
}
