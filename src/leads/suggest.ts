import {
  type Classification,
  type CompiledLexicons,
  classify,
  commonWordLangs,
  type EvalRow,
  normaliseText,
  originalSpan,
  type Reason,
  type SiteContext,
  stemEn,
  stemRu,
  tokenise,
} from '../classify/index.ts';
import { fetchedPages, pageInput, type SiteKind, siteKindResolver } from './rescore.ts';
import type { LeadStatus, PageRow } from './schema.ts';
import { type Store, storeDb } from './store.ts';

/**
 * Learning from analysts' decisions. Confirmed and escalated leads are positives, dismissed leads
 * negatives: `reviewRows` turns them into labelled rows for `evaluate`, and `suggest` lists the terms
 * behind dismissed leads (candidates for a lower weight or a negative context) and the frequent words
 * of confirmed leads that no lexicon matches (candidates for new slang).
 */

export interface ReviewOptions {
  siteIds?: string[];
  /** Only leads reviewed pages fetched at or after this ISO time. */
  since?: string;
  /** Kinds of configured sites (others are inferred, see `siteKindResolver`). */
  siteKinds?: ReadonlyMap<string, SiteKind>;
}

export interface ReviewedLead {
  leadId: number;
  pageId: number;
  status: LeadStatus;
  /** True for confirmed and escalated, false for dismissed. */
  positive: boolean;
  page: Pick<PageRow, 'id' | 'site_id' | 'url' | 'title' | 'text' | 'listing'>;
  text: string;
  title: string | undefined;
  /** The site context the page was classified in. */
  context: SiteContext;
  classification: Classification;
}

const POSITIVE: readonly LeadStatus[] = ['confirmed', 'escalated'];

/** Leads analysts judged, each classified again with `lex` (same text and context rule as the workers). */
export async function reviewedLeads(
  store: Store,
  lex: CompiledLexicons,
  opts: ReviewOptions = {},
): Promise<ReviewedLead[]> {
  let q = storeDb(store)
    .selectFrom('leads')
    .innerJoin('pages', 'pages.id', 'leads.page_id')
    .select([
      'leads.id as leadId',
      'leads.status as status',
      'pages.id as id',
      'pages.site_id as site_id',
      'pages.url as url',
      'pages.title as title',
      'pages.text as text',
      'pages.listing as listing',
    ])
    .where('leads.status', 'in', ['confirmed', 'escalated', 'dismissed']);
  if (opts.siteIds?.length) q = q.where('leads.site_id', 'in', opts.siteIds);
  if (opts.since) q = q.where('pages.last_fetched', '>=', opts.since);
  const rows = await q.orderBy('leads.id').execute();
  const kindOf = await siteKindResolver(store, opts.siteKinds);
  return rows.map((r) => {
    const page = {
      id: r.id,
      site_id: r.site_id,
      url: r.url,
      title: r.title,
      text: r.text,
      listing: r.listing,
    };
    const input = pageInput(page, kindOf(r.site_id).kind);
    return {
      leadId: r.leadId,
      pageId: r.id,
      status: r.status,
      positive: POSITIVE.includes(r.status),
      page,
      text: input.text,
      title: input.opts.title,
      context: input.opts.context ?? 'web',
      classification: classify(input.text, lex, input.opts),
    };
  });
}

/** Reviewed leads as labelled rows for `evaluate` (ids are `#<lead id>`), with the lead's site. */
export async function reviewRows(
  store: Store,
  lex: CompiledLexicons,
  opts: ReviewOptions = {},
): Promise<Array<EvalRow & { site: string }>> {
  return (await reviewedLeads(store, lex, opts)).map((r) => ({
    label: r.positive,
    classification: r.classification,
    id: `#${r.leadId}`,
    site: r.page.site_id,
  }));
}

export interface SuggestOptions extends ReviewOptions {
  /** Least number of leads a suggestion needs. Default 2. */
  minCount?: number;
  /** New-slang tokens: least ratio of their share of confirmed leads to their share of other pages. Default 2. */
  minLift?: number;
  /** Suggestions per list. Default 30. */
  limit?: number;
  /** Example lead ids per suggestion. Default 5. */
  examples?: number;
}

/** A lexicon term that shows up in dismissed leads. */
export interface TermSuggestion {
  group: string;
  term: string;
  /** The forms it matched in dismissed leads. */
  forms: string[];
  /** Dismissed leads with the term. */
  dismissed: number;
  /** Confirmed or escalated leads with the term. */
  confirmed: number;
  /** dismissed / (dismissed + confirmed). */
  dismissedShare: number;
  /** Dismissed lead ids. */
  examples: number[];
}

/** A word of confirmed leads that no lexicon term matched. */
export interface TokenSuggestion {
  /** The most frequent spelling. */
  token: string;
  /** Other spellings with the same stem. */
  variants: string[];
  /** Occurrences in confirmed leads. */
  count: number;
  /** Confirmed or escalated leads that have it. */
  confirmed: number;
  /** Dismissed leads that have it. */
  dismissed: number;
  /** Other stored pages that have it (unjudged leads and pages that are no lead). */
  unjudged: number;
  /** Share of confirmed leads with it / share of all other pages with it (add-one smoothed). */
  lift: number;
  /** Confirmed lead ids. */
  examples: number[];
}

export interface Suggestions {
  lexiconVersion: string;
  confirmedLeads: number;
  dismissedLeads: number;
  otherPages: number;
  /** Candidates for a lower weight or a negative context. */
  dismissedTerms: TermSuggestion[];
  /** Candidates for new slang. */
  newTerms: TokenSuggestion[];
}

/** See the module comment. Reads the store; writes nothing. */
export async function suggest(
  store: Store,
  lex: CompiledLexicons,
  opts: SuggestOptions = {},
): Promise<Suggestions> {
  const minCount = opts.minCount ?? 2;
  const limit = opts.limit ?? 30;
  const nExamples = opts.examples ?? 5;
  const reviewed = await reviewedLeads(store, lex, opts);
  const positives = reviewed.filter((r) => r.positive);
  const negatives = reviewed.filter((r) => !r.positive);

  // 1. Terms behind dismissed leads.
  const terms = new Map<string, TermSuggestion>();
  for (const r of reviewed) {
    const seen = new Set<string>();
    for (const reason of r.classification.reasons) {
      if (reason.group === 'context' || reason.group === 'negative') continue;
      const key = `${reason.group}\u0000${reason.term}`;
      const t = terms.get(key) ?? {
        group: reason.group,
        term: reason.term,
        forms: [],
        dismissed: 0,
        confirmed: 0,
        dismissedShare: 0,
        examples: [],
      };
      terms.set(key, t);
      if (!r.positive && reason.form && !t.forms.includes(reason.form) && t.forms.length < 5)
        t.forms.push(reason.form);
      if (seen.has(key)) continue;
      seen.add(key);
      if (r.positive) t.confirmed++;
      else {
        t.dismissed++;
        if (t.examples.length < nExamples) t.examples.push(r.leadId);
      }
    }
  }
  const dismissedTerms = [...terms.values()]
    .filter((t) => t.dismissed >= minCount)
    .map((t) => ({ ...t, dismissedShare: round(t.dismissed / (t.dismissed + t.confirmed)) }))
    .sort(
      (a, b) =>
        b.dismissed - a.dismissed || b.dismissedShare - a.dismissedShare || a.term.localeCompare(b.term),
    )
    .slice(0, limit);

  // 2. Unmatched words of confirmed leads.
  const cands = new Map<string, { forms: Map<string, number>; count: number; docs: number[] }>();
  for (const r of positives) {
    const seen = new Set<string>();
    for (const word of unmatchedWords(r)) {
      const key = wordKey(word);
      const c = cands.get(key) ?? { forms: new Map<string, number>(), count: 0, docs: [] as number[] };
      cands.set(key, c);
      c.count++;
      c.forms.set(word, (c.forms.get(word) ?? 0) + 1);
      if (!seen.has(key)) {
        seen.add(key);
        c.docs.push(r.leadId);
      }
    }
  }
  const frequent = new Map([...cands].filter(([, c]) => c.docs.length >= minCount));
  const dismissedDf = new Map<string, number>();
  for (const r of negatives) for (const k of pageKeys(r.text, r.title, frequent)) bump(dismissedDf, k);
  // Every other stored page: unjudged leads and pages that never became a lead.
  const judged = new Set(reviewed.map((r) => r.pageId));
  const otherDf = new Map<string, number>();
  let otherPages = 0;
  const kindOf = await siteKindResolver(store, opts.siteKinds);
  const scan = {
    ...(opts.since ? { since: opts.since } : {}),
    ...(opts.siteIds ? { siteIds: opts.siteIds } : {}),
  };
  for await (const pages of fetchedPages(store, scan)) {
    for (const page of pages) {
      if (judged.has(page.id)) continue;
      otherPages++;
      const input = pageInput(page, kindOf(page.site_id).kind);
      for (const k of pageKeys(input.text, input.opts.title, frequent)) bump(otherDf, k);
    }
  }
  const background = negatives.length + otherPages;
  const minLift = opts.minLift ?? 2;
  const newTerms = [...frequent]
    .map(([key, c]): TokenSuggestion => {
      const forms = [...c.forms].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([f]) => f);
      const dismissed = dismissedDf.get(key) ?? 0;
      const unjudged = otherDf.get(key) ?? 0;
      const lift = c.docs.length / positives.length / ((dismissed + unjudged + 1) / (background + 1));
      return {
        token: forms[0]!,
        variants: forms.slice(1),
        count: c.count,
        confirmed: c.docs.length,
        dismissed,
        unjudged,
        lift: round(lift),
        examples: c.docs.slice(0, nExamples),
      };
    })
    .filter((t) => t.lift >= minLift)
    .sort(
      (a, b) =>
        b.confirmed - a.confirmed || b.lift - a.lift || b.count - a.count || a.token.localeCompare(b.token),
    )
    .slice(0, limit);

  return {
    lexiconVersion: lex.version,
    confirmedLeads: positives.length,
    dismissedLeads: negatives.length,
    otherPages,
    dismissedTerms,
    newTerms,
  };
}

const HAN = /\p{Script=Han}/u;
const HAN_PAIR = /^\p{Script=Han}{2}$/u;
const DIGITS = /\p{N}/gu;
const LETTERS = /\p{L}/gu;

/** Words of a text worth suggesting: no stop-words, no numbers, no 1-2 letter words; Chinese as bigrams. */
function words(text: string): Array<{ word: string; start: number; end: number }> {
  const norm = normaliseText(text);
  const out: Array<{ word: string; start: number; end: number }> = [];
  for (const t of tokenise(norm.text)) {
    if (HAN.test(t.text)) {
      // Chinese has no spaces: character bigrams, each with its own span (Han is in the BMP).
      for (let i = t.start; i + 2 <= t.end; i++) {
        const word = norm.text.slice(i, i + 2);
        if (!HAN_PAIR.test(word) || commonWordLangs(word).length) continue;
        const [start, end] = originalSpan(norm, i, i + 2);
        out.push({ word, start, end });
      }
      continue;
    }
    const digits = t.text.match(DIGITS)?.length ?? 0;
    const letters = t.text.match(LETTERS)?.length ?? 0;
    if (digits >= letters) continue;
    if (letters > 0 && letters < 3) continue;
    if (commonWordLangs(t.text).length) continue;
    const [start, end] = originalSpan(norm, t.start, t.end);
    out.push({ word: t.text, start, end });
  }
  return out;
}

/** Words of a reviewed lead that no reason of its classification covers. */
function unmatchedWords(r: ReviewedLead): string[] {
  const spans = (inTitle: boolean) =>
    r.classification.reasons
      .filter((x: Reason) => x.group !== 'context' && (x.in === 'title') === inTitle)
      .map((x) => x.span);
  const free = (text: string, covered: Array<[number, number]>) =>
    words(text)
      .filter((w) => !covered.some(([s, e]) => w.start < e && s < w.end))
      .map((w) => w.word);
  return [...free(r.text, spans(false)), ...(r.title ? free(r.title, spans(true)) : [])];
}

/** Stem key, so `шмурдяк` and `шмурдяка` count as one word. */
function wordKey(word: string): string {
  if (/^[\p{Script=Cyrillic}]{4,}$/u.test(word)) return `ru:${stemRu(word)}`;
  if (/^[a-z]{4,}$/.test(word)) return `en:${stemEn(word)}`;
  return word;
}

function pageKeys(
  text: string,
  title: string | undefined,
  wanted: ReadonlyMap<string, unknown>,
): Set<string> {
  const keys = new Set<string>();
  for (const w of [...words(text), ...(title ? words(title) : [])]) {
    const k = wordKey(w.word);
    if (wanted.has(k)) keys.add(k);
  }
  return keys;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
