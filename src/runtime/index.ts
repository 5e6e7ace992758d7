export { cancelCrawl, type RemovedJobs } from './crawl-end.ts';
export { type CrawlOptions, type CrawlProgress, type CrawlSummary, runCrawl } from './crawl.ts';
export { openRuntime, type Runtime } from './runtime.ts';
export { startWorkers, type WorkerOptions, type WorkerSet } from './workers.ts';
export { runWorkerProcess } from './worker-process.ts';
export { Metrics, serveMetrics } from './metrics.ts';
export { durationMs, runSchedules, type ScheduleOptions } from './schedule.ts';
