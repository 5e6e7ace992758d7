/**
 * What the review queue filters on, and how a filter becomes SQL on both dialects (the `q` search
 * included: `search-terms.ts` reads the words, `search-fold.ts` folds them as the index does).
 */
import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { identifiersWrittenAs } from '../extract/index.ts';
import type { OpenedDb } from './open.ts';
import type { Database, LeadStatus } from './schema.ts';
import { SEARCH_FOLD_FROM, SEARCH_FOLD_TO, searchFold } from './search-fold.ts';
import { searchWords } from './search-terms.ts';

type LeadQuery<O> = SelectQueryBuilder<Database, 'leads', O>;
export type Dialect = OpenedDb['dialect'];

export type SortKey = 'score' | 'last_seen' | 'first_seen' | 'id';

/** What the queue, the API and the exports filter on. Every field is optional but `sort` and `dir`. */
export interface QueueFilter {
  status?: LeadStatus[];
  minScore?: number;
  maxScore?: number;
  category?: string[];
  /** Canonical substance name (`mephedrone`). */
  substance?: string;
  site?: string[];
  lang?: string[];
  /** An identifier's value (`@mef_shop`, a wallet), or `type:value`. */
  identifier?: string;
  /** Leads last seen on or after this ISO time. */
  since?: string;
  /** Leads last seen before this ISO time. */
  until?: string;
  /**
   * Search over what analysts type: the lead's title, its substances and its page's identifiers
   * (a wallet, handle, card or phone), words folded and stemmed as the classifier reads them.
   */
  q?: string;
  /** `q` also looks in the page's text (`in_text=1`): a scan of every page, slower. */
  inText?: boolean;
  /** Leads claimed by this analyst, or `none`: unclaimed leads. */
  claimed?: string;
  sort: SortKey;
  dir: 'asc' | 'desc';
}

/** A keyset position: the sort value and id of the last (or first) row of a page. */
export interface Cursor {
  v: number | string;
  id: number;
}

export interface PageRequest {
  after?: Cursor;
  before?: Cursor;
  limit: number;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** FTS5 query for the trigram table: each group's alternatives as quoted phrases (substrings), every group required. */
function ftsQuery(groups: string[][]): string {
  return groups.map((g) => `(${g.map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ')})`).join(' AND ');
}

/** PostgreSQL: a regex of the letters `translate` would fold (rare: most rows skip its slow 123-letter table). */
const FOLDABLE_CLASS = `[${SEARCH_FOLD_FROM}]`;

/** True when `expr`, folded as the search index folds it, holds `w` (folded already): alike on both dialects. */
function contains(dialect: Dialect, expr: RawBuilder<unknown>, w: string) {
  if (dialect === 'sqlite') return sql<boolean>`instr(spw_search_fold(${expr}), ${w}) > 0`;
  const lower = sql`lower(${expr})`;
  return sql<boolean>`strpos(case when ${lower} ~ ${FOLDABLE_CLASS}
    then translate(${lower}, ${SEARCH_FOLD_FROM}, ${SEARCH_FOLD_TO}) else ${lower} end, ${w}) > 0`;
}

const anyOf = (parts: RawBuilder<boolean>[]) => sql<boolean>`(${sql.join(parts, sql` or `)})`;

/** A lead whose title, substances or page identifiers hold one of `words`, by a scan of the leads rows. */
function fieldsHold(dialect: Dialect, words: string[]) {
  const own = sql`leads.title || ' ' || leads.substances`;
  const value = sql`i.value`;
  return anyOf([
    ...words.map((w) => contains(dialect, own, w)),
    sql<boolean>`leads.page_id in (select pi.page_id from page_identifiers pi
      join identifiers i on i.id = pi.identifier_id where ${anyOf(words.map((w) => contains(dialect, value, w)))})`,
  ]);
}

/**
 * A lead whose page's text holds one of `words` as written in lower case, Capitalised or UPPER case
 * (`мефедрон`, `Мефедрон`, `МЕФЕДРОН`): a scan of every page's text (`in_text=1` only), by the
 * database's own byte search on both dialects; folding every page's text first cost 4x more.
 */
function textHolds(dialect: Dialect, words: string[]) {
  const forms = [
    ...new Set(words.flatMap((w) => [w, w.charAt(0).toUpperCase() + w.slice(1), w.toUpperCase()])),
  ];
  const holds = (w: string) =>
    dialect === 'postgres'
      ? sql<boolean>`strpos(pages.text, ${w}) > 0`
      : sql<boolean>`instr(pages.text, ${w}) > 0`;
  return sql<boolean>`leads.page_id in (select pages.id from pages where ${anyOf(forms.map(holds))})`;
}

/**
 * The `q` search: every group of `searchWords` must be held by the lead's title, substances (the
 * JSON names) or page identifiers' values, as a substring folded by `searchFold`; with `inText` the
 * page's text counts too (a word as written in one of three cases, see `textHolds`). SQLite reads
 * the trigram index `leads_fts` (0011), PostgreSQL scans the leads rows and the identifiers table
 * (both short), so both find the same leads. The trigram index needs 3 characters: groups with a
 * shorter alternative are dropped when others are given, on both dialects, and scanned for when the
 * search has nothing else.
 */
function applySearch<O>(q: LeadQuery<O>, text: string, inText: boolean, dialect: Dialect) {
  const groups = searchWords(text)
    .map((g) => [...new Set(g.map((w) => searchFold(w.replace(/[^\p{L}\p{N}]/gu, ''))))].filter(Boolean))
    .filter((g) => g.length > 0);
  if (!groups.length) return q;
  const long = groups.filter((g) => g.every((w) => [...w].length >= 3));
  const used = long.length ? long : groups;
  const indexed = dialect === 'sqlite' && long.length > 0;
  if (indexed && !inText)
    return q.where(
      sql<boolean>`leads.id in (select rowid from leads_fts where leads_fts match ${ftsQuery(used)})`,
    );
  for (const g of used) {
    const own = indexed
      ? sql<boolean>`leads.id in (select rowid from leads_fts where leads_fts match ${ftsQuery([g])})`
      : fieldsHold(dialect, g);
    q = q.where(inText ? anyOf([own, textHolds(dialect, g)]) : own);
  }
  return q;
}

/** Applies every filter (not the order or the cursor). */
export function applyFilter<O>(q: LeadQuery<O>, f: QueueFilter, dialect: Dialect): LeadQuery<O> {
  if (f.status?.length) q = q.where('leads.status', 'in', f.status);
  if (f.minScore !== undefined) q = q.where('leads.score', '>=', f.minScore);
  if (f.maxScore !== undefined) q = q.where('leads.score', '<=', f.maxScore);
  if (f.category?.length) q = q.where('leads.category', 'in', f.category);
  if (f.site?.length) q = q.where('leads.site_id', 'in', f.site);
  // Page columns are looked up by subquery, never joined: a count over 100 000 leads stays an index scan.
  const langs = f.lang;
  if (langs?.length)
    q = q.where('leads.page_id', 'in', (eb) =>
      eb.selectFrom('pages').select('pages.id').where('pages.lang', 'in', langs),
    );
  const claimed = f.claimed;
  if (claimed === 'none')
    q = q.where('leads.id', 'not in', (eb) => eb.selectFrom('claims').select('claims.lead_id'));
  else if (claimed)
    q = q.where('leads.id', 'in', (eb) =>
      eb.selectFrom('claims').select('claims.lead_id').where('claims.analyst', '=', claimed),
    );
  if (f.since) q = q.where('leads.last_seen', '>=', f.since);
  if (f.until) q = q.where('leads.last_seen', '<', f.until);
  if (f.substance) {
    const pattern = `%${likeEscape(JSON.stringify(f.substance.toLowerCase()))}%`;
    q = q.where(sql<boolean>`lower(leads.substances) like ${pattern} escape '\\'`);
  }
  if (f.identifier) {
    const m = /^([a-z]+):(.+)$/.exec(f.identifier);
    const raw = f.identifier;
    // As stored, or as a page writes it (`+7 705 111 22 33`, `t.me/mef_shop`, a TON `UQ…` address).
    const written = identifiersWrittenAs(raw).map((i) => i.value);
    const values = [...new Set([raw, raw.replace(/^@/, '').toLowerCase(), m?.[2] ?? raw, ...written])];
    q = q.where('leads.page_id', 'in', (eb) => {
      let sub = eb
        .selectFrom('page_identifiers')
        .innerJoin('identifiers', 'identifiers.id', 'page_identifiers.identifier_id')
        .select('page_identifiers.page_id');
      sub = m
        ? sub.where((w) =>
            w.or([
              w('identifiers.value', 'in', values),
              w.and([w('identifiers.type', '=', m[1]!), w('identifiers.value', '=', m[2]!)]),
            ]),
          )
        : sub.where('identifiers.value', 'in', values);
      return sub;
    });
  }
  if (f.q) q = applySearch(q, f.q, f.inText === true, dialect);
  return q;
}
