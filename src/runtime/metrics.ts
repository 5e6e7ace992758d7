import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Runtime } from './runtime.ts';

/** SQLite group commit's counters in /metrics: the `writeStats()` key, the metric's name and help. */
const SQLITE_WRITE_COUNTERS = [
  ['commits', 'spiderweb_sqlite_commits_total', 'SQLite transactions committed by group commit'],
  ['writes', 'spiderweb_sqlite_writes_total', "Jobs' writes those transactions held"],
  ['busyWaits', 'spiderweb_sqlite_busy_waits_total', "Times a batch waited for another process's write lock"],
] as const;

/** Prometheus metrics of one Spiderweb process. Queue depths, breakers and lexicons are read at scrape time. */
export class Metrics {
  readonly registry = new Registry();
  readonly pages = new Counter({
    name: 'spiderweb_pages_total',
    help: 'Pages fetched, by site and outcome (fetched, gone, failed)',
    labelNames: ['site', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly fetchSeconds = new Histogram({
    name: 'spiderweb_fetch_seconds',
    help: 'Time to fetch, parse and store one page',
    labelNames: ['site'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly classifySeconds = new Histogram({
    name: 'spiderweb_classify_seconds',
    help: 'Time to classify one page and write its lead',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly leads = new Counter({
    name: 'spiderweb_leads_created_total',
    help: 'Leads created, by category and kind',
    labelNames: ['category', 'kind'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'spiderweb_errors_total',
    help: 'Jobs that ended in failure or were put off, by stage and reason',
    labelNames: ['stage', 'reason'] as const,
    registers: [this.registry],
  });

  constructor(rt: Pick<Runtime, 'queues' | 'gate' | 'lexiconStatus' | 'store'>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'spiderweb_process_' });
    new Gauge({
      name: 'spiderweb_queue_jobs',
      help: 'Jobs in the pipeline queues, by queue and state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of [rt.queues.fetch, rt.queues.classify]) {
          const counts = await q.getJobCounts(
            'waiting',
            'active',
            'delayed',
            'prioritized',
            'failed',
            'completed',
          );
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
        }
      },
    });
    new Gauge({
      name: 'spiderweb_crawls',
      help: 'Crawls in the store by state (running, finished, interrupted, cancelled, lost, outage)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [state, n] of Object.entries(await rt.store.crawlStates())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'spiderweb_breaker_state',
      help: 'Per-host circuit breaker: 0 closed, 1 half-open, 2 open',
      labelNames: ['host'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const states = await rt.gate.hostsState();
        for (const [host, s] of Object.entries(states)) {
          this.set({ host }, s.state === 'open' ? 2 : s.state === 'half-open' ? 1 : 0);
        }
      },
    });
    // SQLite's group commit (read at scrape time; not registered on PostgreSQL, which has none): writes
    // per commit say how well jobs' writes group, busy waits how often another process held the lock.
    const groupCommit = rt.store.writeStats() === null ? [] : SQLITE_WRITE_COUNTERS;
    for (const [key, name, help] of groupCommit) {
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(rt.store.writeStats()![key]);
        },
      });
    }
    new Gauge({
      name: 'spiderweb_lexicon_info',
      help: 'The lexicon version in force (label), 1; lexicon_error is 1 while a refused change is pending',
      labelNames: ['version', 'error'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const s = rt.lexiconStatus();
        this.set({ version: s.version, error: s.error ? '1' : '0' }, 1);
      },
    });
  }
}

/**
 * Serves `/metrics` (Prometheus text) and `/healthz` (200 `ok` while Redis answers, else 503) for a
 * worker process. Bind it to loopback or a monitoring network: it has no login.
 */
export async function serveMetrics(
  metrics: Metrics,
  rt: Pick<Runtime, 'conn'>,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/metrics') {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      } else if (req.url === '/healthz') {
        const ok = await rt.conn.ping().then(
          (r) => r === 'PONG',
          () => false,
        );
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ok ? 'ok\n' : 'redis unavailable\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    })().catch(() => res.writeHead(500).end());
  });
  server.listen(port, host);
  await once(server, 'listening');
  const addr = server.address();
  const actual = addr && typeof addr === 'object' ? addr.port : port;
  return {
    url: `http://${host}:${actual}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
