import type { LeadRow } from '../leads/index.ts';

/** A lead as exported and served by the API: JSON columns parsed, names in camelCase. */
export function leadJson(l: LeadRow, identifiers: string[] = []) {
  return {
    id: l.id,
    site: l.site_id,
    url: l.url,
    title: l.title,
    score: l.score,
    kind: l.kind,
    category: l.category,
    substances: JSON.parse(l.substances) as string[],
    status: l.status,
    foundVia: l.found_via,
    firstSeen: l.first_seen,
    lastSeen: l.last_seen,
    goneAt: l.gone_at,
    clusterId: l.cluster_id,
    /** `type:value`, e.g. `tron:TLa2f6…`, `telegram:mef_shop`. */
    identifiers,
    lexiconVersion: l.lexicon_version,
    /** Every matched term; `gloss` is the lexicon's English meaning of it, when it has one. */
    reasons: JSON.parse(l.reasons) as Array<{
      term: string;
      form: string;
      group: string;
      weight: number;
      gloss?: string;
    }>,
  };
}

const CSV_COLUMNS = [
  'id',
  'site',
  'url',
  'title',
  'score',
  'kind',
  'category',
  'substances',
  'status',
  'found_via',
  'first_seen',
  'last_seen',
  'gone_at',
  'cluster_id',
  'identifiers',
  'terms',
] as const;

/**
 * A CSV cell, quoted per RFC 4180 and neutralised against formula injection: a cell a spreadsheet would
 * run as a formula (starting with = + - @, tab or carriage return) gets a leading apostrophe.
 */
export function csvCell(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',');
}

export function csvRow(l: LeadRow, identifiers: string[] = []): string {
  const j = leadJson(l, identifiers);
  const terms = [
    ...new Set(
      j.reasons.filter((r) => r.weight > 0).map((r) => (r.gloss ? `${r.term} (${r.gloss})` : r.term)),
    ),
  ].join('; ');
  return [
    j.id,
    j.site,
    j.url,
    j.title,
    j.score.toFixed(3),
    j.kind,
    j.category,
    j.substances.join('; '),
    j.status,
    j.foundVia,
    j.firstSeen,
    j.lastSeen,
    j.goneAt,
    j.clusterId,
    j.identifiers.join('; '),
    terms,
  ]
    .map(csvCell)
    .join(',');
}
