export { type Admission, type CrawlLiveState, CrawlState, redisRunId } from './crawl-state.ts';
export {
  type ClassifyJob,
  type EvidenceJob,
  evidenceJobId,
  evidenceJobSchema,
  QUEUE_EVIDENCE,
  classifyJobId,
  classifyJobSchema,
  type FetchJob,
  fetchJobId,
  fetchJobSchema,
  newCrawlId,
  parseJob,
  QUEUE_CLASSIFY,
  QUEUE_FETCH,
  urlKey,
} from './jobs.ts';
export { Queues } from './queues.ts';
export {
  ensureRedis,
  freePort,
  type RedisDurability,
  type RedisHandle,
  redact,
  probeClient,
  redisDurability,
} from './redis.ts';
export { backoffDelay, isInfrastructureError, JOB_ATTEMPTS, withRetryPolicy } from './retry.ts';
