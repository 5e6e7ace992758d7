import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface ReviewMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'route'>;
  decisions: Counter<'decision'>;
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The app's metrics on the given registry (or a new one with the default process metrics). */
export function reviewMetrics(given?: Registry): ReviewMetrics {
  const registry = given ?? new Registry();
  if (!given) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: metric(
      registry,
      'spiderweb_review_requests_total',
      () =>
        new Counter({
          name: 'spiderweb_review_requests_total',
          help: 'Review app requests by route and status',
          labelNames: ['method', 'route', 'status'] as const,
          registers,
        }),
    ),
    duration: metric(
      registry,
      'spiderweb_review_request_seconds',
      () =>
        new Histogram({
          name: 'spiderweb_review_request_seconds',
          help: 'Review app response time by route',
          labelNames: ['route'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers,
        }),
    ),
    decisions: metric(
      registry,
      'spiderweb_review_decisions_total',
      () =>
        new Counter({
          name: 'spiderweb_review_decisions_total',
          help: 'Analyst decisions on leads',
          labelNames: ['decision'] as const,
          registers,
        }),
    ),
  };
}
