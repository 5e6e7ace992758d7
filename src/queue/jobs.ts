import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NonRetryableError } from '../errors.ts';

export const QUEUE_FETCH = 'fetch';
export const QUEUE_CLASSIFY = 'classify';
export const QUEUE_EVIDENCE = 'evidence';

/** How a URL entered the crawl: a configured seed, a link on a crawled page, or a pivot search on an identifier. */
export const foundViaSchema = z.union([z.literal('seed'), z.literal('link'), z.string().regex(/^pivot:.+/)]);

export const fetchJobSchema = z.object({
  crawlId: z.string().min(1),
  siteId: z.string().min(1),
  /** Normalised absolute URL. */
  url: z.string().url(),
  depth: z.number().int().min(0),
  foundVia: foundViaSchema,
  referrer: z.string().nullable().default(null),
});
export type FetchJob = z.output<typeof fetchJobSchema>;

export const classifyJobSchema = z.object({
  crawlId: z.string().min(1),
  siteId: z.string().min(1),
  /** The stored page to classify. */
  pageId: z.number().int().positive(),
  url: z.string(),
});
export type ClassifyJob = z.output<typeof classifyJobSchema>;

export const evidenceJobSchema = z.object({
  crawlId: z.string().min(1),
  leadId: z.number().int().positive(),
  pageId: z.number().int().positive(),
  /** The page text's hash: a lead is sealed once per version of its page. */
  contentHash: z.string().min(1),
  /** Take a screenshot (the site's `evidence.screenshots`). */
  screenshot: z.boolean().default(true),
});
export type EvidenceJob = z.output<typeof evidenceJobSchema>;

/** Deterministic: one evidence capture per lead and page version. */
export function evidenceJobId(job: Pick<EvidenceJob, 'leadId' | 'contentHash'>): string {
  return `e_${job.leadId}_${job.contentHash.slice(0, 24)}`;
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
}

/** The key of a URL within a crawl (dedup set member). */
export function urlKey(siteId: string, url: string): string {
  return digest(siteId, url);
}

/** Deterministic: the same URL of the same site in the same crawl is one job, however often it is linked. */
export function fetchJobId(job: Pick<FetchJob, 'crawlId' | 'siteId' | 'url'>): string {
  return `f_${job.crawlId}_${urlKey(job.siteId, job.url)}`;
}

/** Deterministic: a page is classified once per crawl, even when its fetch job was run twice after a crash. */
export function classifyJobId(job: Pick<ClassifyJob, 'crawlId' | 'pageId'>): string {
  return `c_${job.crawlId}_${job.pageId}`;
}

/** Validates a payload when a job is taken; a bad payload can never succeed, so it is not retried. */
export function parseJob<S extends z.ZodType>(
  schema: S,
  data: unknown,
  jobId: string | undefined,
): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new NonRetryableError(
      'invalid-url',
      `job ${jobId ?? '?'}: invalid payload at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return result.data;
}

/** A sortable, readable crawl id: `20261128T193000-ab12cd`. */
export function newCrawlId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${createHash('sha256').update(`${Math.random()}${process.pid}`).digest('hex').slice(0, 6)}`;
}
