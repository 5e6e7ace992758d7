import { type CompiledLexicons, classify } from '../classify/index.ts';
import type { SiteConfig } from '../config/index.ts';
import { NonRetryableError } from '../errors.ts';
import type { ListingFields } from '../extract/index.ts';
import { type PivotRequest, planPivots } from './pivots.ts';
import type { FreshCapture } from './evidence-rows.ts';
import type { EvidenceRow } from './schema.ts';
import type { PageToClassify, Store } from './store.ts';

export interface ClassifyDeps {
  store: Store;
  /** The lexicons in force now (hot reload swaps what this returns). */
  lexicons(): CompiledLexicons;
  site(crawlId: string, siteId: string): Promise<SiteConfig | null>;
  /** Every site of the crawl (pivot targets included). */
  sites(crawlId: string): Promise<SiteConfig[]>;
  /** Enqueues pivot searches; `owner` names the asking job (a retried one gets its searches again). */
  pivot(crawlId: string, requests: PivotRequest[], owner: string): Promise<void>;
  /**
   * Enqueues sealing the evidence of a lead (screenshot, text, manifest over the archived WARC);
   * `fresh`: the page's capture as this worker stored it (see `FreshPage`).
   */
  sealEvidence?(
    job: {
      crawlId: string;
      leadId: number;
      pageId: number;
      contentHash: string;
      screenshot: boolean;
    },
    fresh?: FreshCapture,
  ): Promise<void>;
}

/**
 * A page the calling worker has just stored (`recordFetched`'s `stored`) and its capture (null: none
 * stored by this worker): classified and sealed from memory, without reading either back.
 */
export interface FreshPage {
  page: PageToClassify;
  capture: EvidenceRow | null;
}

export interface ClassifyInput {
  crawlId: string;
  siteId: string;
  pageId: number;
}

export interface ClassifyOutcome {
  lead: boolean;
  leadId: number | null;
  created: boolean;
  score: number;
  pivots: number;
  category: string | null;
  kind: string | null;
}

/**
 * Scores a stored page against the lexicons and writes or updates its lead. A listing is scored on its
 * title and description first (the seller's own words), then the rest of the page.
 */
export async function processClassify(
  job: ClassifyInput,
  deps: ClassifyDeps,
  fresh?: FreshPage,
): Promise<ClassifyOutcome> {
  // The page's text and listing, and whether it has a lead already (saveClassification then skips its lookup).
  const page = fresh?.page.id === job.pageId ? fresh.page : await deps.store.pageToClassify(job.pageId);
  if (!page) throw new NonRetryableError('internal', `page ${job.pageId} is not in the store`);
  const site = await deps.site(job.crawlId, job.siteId);
  const listing = page.listing ? (JSON.parse(page.listing) as ListingFields) : null;
  const text = listing ? listingText(listing, page.text) : page.text;
  // On a marketplace every listing is an offer; its other pages (news, help, forums) are judged as web text.
  const context = site?.kind === 'marketplace' && listing ? 'marketplace' : 'web';
  const c = classify(text, deps.lexicons(), { context, title: listing?.title ?? page.title });
  const at = new Date().toISOString();
  const { leadId, created } = await deps.store.saveClassification(page, c, job.crawlId, at);
  let pivots = 0;
  if (c.lead && leadId !== null && page.content_hash) {
    const capture = fresh?.page === page ? fresh.capture : null;
    await deps.sealEvidence?.(
      {
        crawlId: job.crawlId,
        leadId,
        pageId: page.id,
        contentHash: page.content_hash,
        screenshot: site?.evidence.screenshots ?? true,
      },
      capture ? { row: capture, siteId: page.site_id, contentHash: page.content_hash } : undefined,
    );
  }
  if (c.lead) {
    const requests = await planPivots(deps.store, page.id, await deps.sites(job.crawlId), job.crawlId, at);
    if (requests.length) await deps.pivot(job.crawlId, requests, `page:${page.id}`);
    pivots = requests.length;
  }
  return { lead: c.lead, leadId, created, score: c.score, pivots, category: c.category, kind: c.kind };
}

/** What a listing page is judged on: its fields (title, price, seller, description), which say what is sold. */
export function listingText(listing: ListingFields, pageText: string): string {
  const fields = [
    listing.title,
    listing.price && `${listing.price} ${listing.currency ?? ''}`.trim(),
    listing.seller,
    listing.description,
  ]
    .filter(Boolean)
    .join('\n');
  return fields || pageText;
}
