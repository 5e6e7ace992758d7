import type { Classification } from '../../src/classify/index.ts';
import type { Identifier, IdentifierType } from '../../src/extract/index.ts';
import type { FetchedRecord } from '../../src/leads/index.ts';

/** What store-level tests write: fetched pages, their identifiers and verdicts, at one instant. */
export const T0 = '2025-03-01T10:00:00.000Z';

export const identifier = (type: IdentifierType, value: string): Identifier => ({
  type,
  value,
  span: [0, value.length],
  validated: 'syntax',
  deobfuscated: false,
});

/** A classifier's verdict: a synthetic sale, or nothing. */
export const verdict = (lead: boolean): Classification => ({
  score: lead ? 0.8 : 0.1,
  lead,
  kind: lead ? 'sale' : null,
  category: lead ? 'synthetic' : null,
  substances: lead ? ['mephedrone'] : [],
  reasons: [],
  lexiconVersion: 'v1',
});

/** A page as the fetch stage records it. */
export const fetched = (
  siteId: string,
  url: string,
  identifiers: Identifier[],
  more: Partial<FetchedRecord> = {},
): FetchedRecord => ({
  crawlId: 'c1',
  siteId,
  url,
  finalUrl: url,
  status: 200,
  contentHash: `h:${url}`,
  title: url,
  text: 'text',
  listing: null,
  lang: 'ru',
  identifiers,
  fetchedVia: 'http',
  robots: 'obey',
  foundVia: 'link',
  depth: 1,
  at: T0,
  ...more,
});
