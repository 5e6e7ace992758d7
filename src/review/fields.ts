/**
 * What an analyst reads off a lead at a glance: the listing's price, quantity and vendor, and its
 * reasons folded to one row per term.
 */
import { cityIn } from './cities.ts';
import type { StoredReason } from './reasons.ts';

export interface LeadFields {
  /** `3500₽`, `45 USDT`: the listing's price field, else the first price in the text. */
  price: string | null;
  /** `1г`, `5 gr`: the first quantity in the text. */
  quantity: string | null;
  /** The listing's seller field. */
  vendor: string | null;
  /** The first city of the region the title or text names (`cities.ts`), in English. */
  city: string | null;
}

interface Listing {
  price?: string;
  currency?: string;
  seller?: string;
}

export function parseListing(json: string | null): Listing | null {
  try {
    const v = json ? (JSON.parse(json) as unknown) : null;
    return v && typeof v === 'object' ? (v as Listing) : null;
  } catch {
    return null;
  }
}

export function leadFields(
  reasons: readonly StoredReason[],
  listing: Listing | null,
  text: string,
): LeadFields {
  const first = (term: string) => reasons.find((r) => r.term === term)?.form.trim() || null;
  const listed = listing?.price ? `${listing.price}${listing.currency ? ` ${listing.currency}` : ''}` : null;
  return {
    price: listed ?? first('price'),
    quantity: first('quantity'),
    vendor: listing?.seller?.trim() || null,
    city: cityIn(text),
  };
}

/** One row per matched term: how often, where, and what it did to the score. */
export interface ReasonRow {
  term: string;
  group: string;
  class: string | null;
  /** Extra fields a reason may carry (`gloss`), from its first occurrence. */
  gloss: string | null;
  /** Every distinct form as written. */
  forms: string[];
  count: number;
  inTitle: number;
  inText: number;
  weight: number;
  /** The sum of its occurrences' contributions (repeats add nothing: saturation). */
  contribution: number;
  via: string[];
  lang: string | null;
}

/** Reasons folded to one row per term (and group), strongest contribution first. */
export function reasonRows(reasons: readonly StoredReason[]): ReasonRow[] {
  const rows = new Map<string, ReasonRow>();
  for (const r of reasons) {
    const key = `${r.group}\0${r.term}`;
    let row = rows.get(key);
    if (!row) {
      const gloss = (r as { gloss?: unknown }).gloss;
      row = {
        term: r.term,
        group: r.group,
        class: r.class ?? null,
        gloss: typeof gloss === 'string' ? gloss : null,
        forms: [],
        count: 0,
        inTitle: 0,
        inText: 0,
        weight: r.weight,
        contribution: 0,
        via: [],
        lang: r.lang ?? null,
      };
      rows.set(key, row);
    }
    const n = r.count ?? 1;
    row.count += n;
    if (r.in === 'title') row.inTitle += n;
    else row.inText += n;
    row.contribution += r.contribution;
    if (Math.abs(r.weight) > Math.abs(row.weight)) row.weight = r.weight;
    if (!row.forms.includes(r.form)) row.forms.push(r.form);
    if (r.via && !row.via.includes(r.via)) row.via.push(r.via);
  }
  return [...rows.values()].sort(
    (a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || Math.abs(b.weight) - Math.abs(a.weight),
  );
}

/** One sentence on how the score came about, for the top of the reasons table. */
export function scoreSentence(score: number, rows: readonly ReasonRow[]): string {
  const pos = rows.filter((r) => r.contribution > 0).slice(0, 3);
  const neg = rows.filter((r) => r.contribution < 0).slice(0, 2);
  const names = (rs: readonly ReasonRow[]) =>
    rs.map((r) => `${r.term} (${r.contribution >= 0 ? '+' : ''}${r.contribution.toFixed(2)})`).join(', ');
  const parts = [
    `Score ${score.toFixed(2)}.`,
    !pos.length
      ? 'No single term raises it.'
      : (pos[0]?.contribution ?? 0) < 0.05
        ? `Many pieces of evidence agree, so removing any one barely lowers it; the strongest are ${rows
            .filter((r) => r.weight > 0)
            .slice(0, 3)
            .map((r) => r.term)
            .join(', ')}.`
        : `Most of it comes from ${names(pos)}.`,
    neg.length ? `Lowered by ${names(neg)}.` : '',
    "A term's contribution is how much the score would drop without it. A sale needs both a substance and sale intent (prices, dead drops, contacts, payment), which combine as a geometric mean; negative context (news, medicine) damps it; a repeated term adds nothing.",
  ];
  return parts.filter(Boolean).join(' ');
}
