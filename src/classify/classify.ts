import { CATEGORIES } from './lexicon-schema.ts';
import { matchTokens, type RawMatch } from './match.ts';
import { normaliseText, originalSpan } from './normalise.ts';
import { scanHandles, scanQuantities } from './quantities.ts';
import { addEvidence, combine, type EvidenceGroup, emptyEvidence } from './score.ts';
import { type Token, tokenise } from './tokenise.ts';
import type { Category, Classification, CompiledLexicons, Reason, SiteContext, Via } from './types.ts';

/** How much of a term's weight a match of each kind carries. */
export const VIA_FACTOR: Readonly<Record<Via, number>> = {
  exact: 1,
  stem: 1,
  suffix: 1,
  homoglyph: 1,
  leet: 1,
  spaced: 1,
  phrase: 1,
  translit: 0.9,
  fuzzy: 0.8,
};

/** An offer/price/quantity this close (characters) to a substance counts as a specific offer. */
export const PROXIMITY_CHARS = 30;
const PROXIMITY_WEIGHT = 0.4;

export interface ClassifyOptions {
  /** Site kind; `marketplace` adds the sale-intent prior. Default `web`. */
  context?: SiteContext;
  /** Page or listing title, matched like the text (reasons get `in: 'title'`). */
  title?: string;
}

interface Located extends RawMatch {
  readonly inTitle: boolean;
  readonly source: string;
  readonly origStart: number;
  readonly origEnd: number;
}

/** Query strings and fragments of URLs (`?hash=item…`): random tokens, never evidence. */
const URL_QUERY = /https?:\/\/[^\s?#]*([?#][^\s]*)/g;

function dropUrlQueries(norm: string, tokens: Token[]): Token[] {
  if (!norm.includes('://')) return tokens;
  const spans: Array<[number, number]> = [];
  for (const m of norm.matchAll(URL_QUERY)) {
    const q = m[1]!;
    const end = m.index + m[0].length;
    spans.push([end - q.length, end]);
  }
  if (spans.length === 0) return tokens;
  let s = 0;
  return tokens.filter((t) => {
    while (s < spans.length && spans[s]![1] <= t.start) s++;
    const sp = spans[s];
    return !(sp && t.start >= sp[0] && t.start < sp[1]);
  });
}

function find(lex: CompiledLexicons, text: string, inTitle: boolean): Located[] {
  const norm = normaliseText(text);
  const tokens = dropUrlQueries(norm.text, tokenise(norm.text));
  const raw = matchTokens(lex, tokens);
  for (const q of scanQuantities(lex, norm.text)) raw.push(q);
  for (const h of scanHandles(norm.text)) raw.push(h);
  return raw.map((m) => {
    const [origStart, origEnd] = originalSpan(norm, m.start, m.end);
    return { ...m, inTitle, source: text, origStart, origEnd };
  });
}

function groupOf(lex: CompiledLexicons, m: RawMatch): EvidenceGroup {
  if (m.term < 0) return m.label === 'handle' ? 'contact' : 'intent';
  return lex.terms[m.term]!.group;
}

/**
 * Drops matches that lose an overlap: a positive match covered by a negative match at least as
 * long (`bath salt` shields `salt`), and a match inside a longer match of the same group
 * (`crystal meth` over `meth`).
 */
function resolveOverlaps(lex: CompiledLexicons, matches: Located[]): Located[] {
  const sorted = [...matches].sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
  const dropped = new Uint8Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!;
      if (b.start >= a.end) break;
      if (a.inTitle !== b.inTitle) continue;
      const ga = groupOf(lex, a);
      const gb = groupOf(lex, b);
      const la = a.end - a.start;
      const lb = b.end - b.start;
      const covers = (x: Located, y: Located) => x.start <= y.start && x.end >= y.end;
      if (ga === 'negative' && gb !== 'negative') {
        if (la >= lb) dropped[j] = 1;
        else if (covers(b, a)) dropped[i] = 1;
      } else if (gb === 'negative' && ga !== 'negative') {
        if (lb >= la) dropped[i] = 1;
        else if (covers(a, b)) dropped[j] = 1;
      } else if (ga === gb && la !== lb) {
        if (la > lb && b.end <= a.end) dropped[j] = 1;
        else if (lb > la && a.start >= b.start && a.end <= b.end) dropped[i] = 1;
      }
    }
  }
  return sorted.filter((_, i) => dropped[i] === 0);
}

const CATEGORY_ORDER: readonly Category[] = ['synthetic', 'nps', 'pharma', 'precursor', 'classic'];

/** Classifies one text: see `score.ts` for the formula. Pure and synchronous. */
export function classify(text: string, lex: CompiledLexicons, opts: ClassifyOptions = {}): Classification {
  const context = opts.context ?? 'web';
  const scoring = lex.scoring;
  let found = find(lex, text, false);
  if (opts.title) found = found.concat(find(lex, opts.title, true));
  const kept = resolveOverlaps(lex, found).sort(
    (a, b) => Number(b.inTitle) - Number(a.inTitle) || a.origStart - b.origStart,
  );

  const ev = emptyEvidence();
  const categoryOf = new Map<string, Category>();
  const generic = new Set(scoring.genericClasses);
  const entries = kept.map((m) => {
    const group = groupOf(lex, m) as Reason['group'];
    let term: string;
    let weight: number;
    let cls: string;
    let lang: string | undefined;
    let evGroup: EvidenceGroup;
    if (m.label === 'handle') {
      term = 'messenger handle';
      cls = 'handle';
      weight = scoring.handleWeight;
      evGroup = 'contact';
    } else if (m.term < 0) {
      term = m.label === 'price' ? 'price' : 'quantity';
      cls = m.label!;
      weight = m.label === 'price' ? scoring.priceWeight : scoring.quantityWeight;
      evGroup = 'commerce';
    } else {
      const t = lex.terms[m.term]!;
      term = t.term;
      cls = t.class;
      lang = t.lang;
      weight = t.weight * VIA_FACTOR[m.via];
      if (t.category) categoryOf.set(t.term, t.category);
      evGroup =
        t.group !== 'substance' && t.group !== 'negative' && t.group !== 'recruitment' && generic.has(t.class)
          ? 'commerce'
          : t.group;
    }
    addEvidence(ev, evGroup, term, weight);
    return { m, group, evGroup, term, weight, cls, lang };
  });
  // An offer, price or quantity right next to a substance: "buy cocaine", "мефедрон 1г 3500р".
  const subs = entries.filter((e) => e.group === 'substance' && !e.m.inTitle);
  const offers = entries.filter(
    (e) =>
      !e.m.inTitle &&
      e.group !== 'negative' &&
      e.cls !== 'quantity' &&
      e.cls !== 'count' &&
      (e.evGroup === 'commerce' || e.cls === 'offer'),
  );
  if (subs.length && offers.length) {
    outer: for (const sub of subs) {
      for (const o of offers) {
        const gap =
          o.m.origStart >= sub.m.origEnd ? o.m.origStart - sub.m.origEnd : sub.m.origStart - o.m.origEnd;
        if (gap >= 0 && gap <= PROXIMITY_CHARS) {
          const term = 'offer next to substance';
          addEvidence(ev, 'intent', term, PROXIMITY_WEIGHT);
          entries.push({
            ...o,
            group: 'intent',
            evGroup: 'intent',
            term,
            weight: PROXIMITY_WEIGHT,
            cls: 'proximity',
          });
          break outer;
        }
      }
    }
  }
  // A marketplace listing sold by weight or dose: evidence of a (possibly unnamed) substance.
  if (context === 'marketplace' && scoring.soldByWeight > 0) {
    const q = entries.find((e) => e.m.label === 'quantity');
    if (q) {
      const term = 'unnamed substance';
      addEvidence(ev, 'substance', term, scoring.soldByWeight);
      entries.push({
        ...q,
        group: 'substance',
        evGroup: 'substance',
        term,
        weight: scoring.soldByWeight,
        cls: 'sold-by-weight',
      });
    }
  }

  const base = combine(ev, scoring, context);
  const contribution = new Map<string, number>();
  const credited = new Set<string>();
  const reasons: Reason[] = entries.map(({ m, group, evGroup, term, weight, cls, lang }) => {
    const key = `${evGroup}\u0000${term}`;
    let c = 0;
    // Credit the occurrence that carries the term's best weight; repeats contribute 0.
    if (!credited.has(key) && ev[evGroup].get(term) === weight) {
      credited.add(key);
      c = contribution.get(key) ?? base.score - combine(ev, scoring, context, { group: evGroup, term }).score;
      contribution.set(key, c);
    }
    const r: Reason = {
      group,
      term,
      form: m.source.slice(m.origStart, m.origEnd),
      span: [m.origStart, m.origEnd],
      weight: round(weight),
      contribution: round(c),
      class: cls,
      via: m.via,
    };
    if (lang !== undefined) r.lang = lang;
    if (m.inTitle) r.in = 'title';
    return r;
  });
  if (context === 'marketplace') {
    const without = combine(ev, scoring, 'web').score;
    reasons.push({
      group: 'context',
      term: 'marketplace',
      form: '',
      span: [0, 0],
      weight: scoring.marketplacePrior,
      contribution: round(base.score - without),
      class: 'prior',
    });
  }

  // Category: the one with the most substance weight; ties go to the product's focus first.
  const byCategory = new Map<Category, number>();
  for (const [t, w] of ev.substance) {
    const cat = categoryOf.get(t);
    if (cat) byCategory.set(cat, (byCategory.get(cat) ?? 0) + w);
  }
  let category: Category | null = null;
  let best = 0;
  for (const cat of CATEGORY_ORDER) {
    const w = byCategory.get(cat) ?? 0;
    if (w > best + 1e-9) {
      best = w;
      category = cat;
    }
  }
  const substances = [...ev.substance.entries()]
    .filter(([t]) => categoryOf.has(t))
    .sort((a, b) => b[1] - a[1])
    .map(([t]) => t);
  const lead = base.score >= scoring.threshold;
  return {
    score: round(base.score),
    lead,
    // Recruitment is the more specific finding: it names the kind whenever it crosses the threshold.
    kind: lead ? (base.recruitment >= scoring.threshold ? 'recruitment' : 'sale') : null,
    category,
    substances,
    reasons,
    lexiconVersion: lex.version,
  };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

export { CATEGORIES };
