import { foldHomoglyphs } from './fold.ts';
import { CATEGORIES } from './lexicon-schema.ts';
import { matchTokens, type RawMatch } from './match.ts';
import { withModel } from './model/combine.ts';
import { normaliseText } from './normalise.ts';
import { byPosition, explainAway, groupOf, resolveOverlaps, VIA_FACTOR } from './overlaps.ts';
import { scanHandles, scanQuantities } from './quantities.ts';
import { addEvidence, combine, type EvidenceGroup, emptyEvidence } from './score.ts';
import { type Token, tokenise } from './tokenise.ts';
import type {
  Category,
  Classification,
  CompiledLexicons,
  LexiconLayer,
  Reason,
  SiteContext,
  TokenRun,
} from './types.ts';

/** An offer/price/quantity this close (characters) to a substance counts as a specific offer. */
export const PROXIMITY_CHARS = 30;
const PROXIMITY_WEIGHT = 0.4;
/** Weight of hiring words (class `hiring`) in a text with dead-drop logistics: courier recruitment. */
export const HIRING_DEAD_DROP_WEIGHT = 0.6;
/** A price and a quantity at most this far apart (characters) make a pair of a price list. */
export const PRICE_PAIR_CHARS = 40;

export interface ClassifyOptions {
  /** Site kind; `marketplace` adds the sale-intent prior. Default `web`. */
  context?: SiteContext;
  /** Page or listing title, matched like the text (reasons get `in: 'title'`). */
  title?: string;
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

/** Finds every match in one text and fills in its original span (in place, no copies). */
function find(lex: CompiledLexicons, text: string, inTitle: boolean, out: RawMatch[]): TokenRun {
  const norm = normaliseText(text);
  const tokens = dropUrlQueries(norm.text, tokenise(norm.text));
  const from = out.length;
  matchTokens(lex, tokens, norm.text, out);
  scanQuantities(lex, norm.text, out);
  scanHandles(norm.text, out);
  const starts = norm.starts;
  const ends = norm.ends;
  for (let i = from; i < out.length; i++) {
    const m = out[i]!;
    m.inTitle = inTitle;
    if (!starts || !ends) {
      m.origStart = m.start;
      m.origEnd = m.end;
    } else if (m.end <= m.start) {
      const at = m.start < starts.length ? starts[m.start]! : (ends[ends.length - 1] ?? 0);
      m.origStart = at;
      m.origEnd = at;
    } else {
      m.origStart = starts[m.start]!;
      m.origEnd = ends[m.end - 1]!;
    }
  }
  return { tokens, starts, ends, inTitle };
}

/** What one kept match means for scoring. */
interface Entry {
  m: RawMatch;
  group: Reason['group'];
  evGroup: EvidenceGroup;
  term: string;
  weight: number;
  cls: string;
  lang: string | undefined;
}

/**
 * "There is", right after a drug's name, offers it: `гер ҳаст`, `шишка бар`, `nasha bor`, `меф есть`.
 * Alone these are the commonest words of their languages, so they are no lexicon forms.
 */
const AVAILABLE = new Set(['есть', 'бар', 'бор', 'bor', 'ҳаст', 'hast', 'имеется']);
/**
 * The next word when it is short enough to be one of those: read whole, a word could be the rest of a
 * page without spaces (Chinese, or a hostile page), read again after every substance named in it.
 */
const NEXT_WORD = /[\s,:;—–-]{0,3}(\p{L}{1,12})(?!\p{L})(\s*\?)?/uy;

/** The word after `at` says "there is", read through lookalike letters (`ҳacт`); not a question (`кимде чарс бар?`). */
function availableAfter(text: string, at: number): boolean {
  NEXT_WORD.lastIndex = at;
  const m = NEXT_WORD.exec(text);
  if (m === null || m[2] !== undefined) return false;
  const word = m[1]!.toLowerCase();
  return (
    AVAILABLE.has(word) ||
    AVAILABLE.has(foldHomoglyphs(word, 'cyrillic')) ||
    AVAILABLE.has(foldHomoglyphs(word, 'latin'))
  );
}

/** An emoji (a substance named by one, see `emoji.yaml`). */
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

const CATEGORY_ORDER: readonly Category[] = ['synthetic', 'nps', 'pharma', 'precursor', 'classic'];

/**
 * Classifies one text: the lexicon layer (see `score.ts` for its formula), then, when the lexicons
 * carry a model for this context and the text is no longer than the model's `maxChars`, the
 * learned layer stacked on it (see `model/combine.ts`). Pure and synchronous.
 */
export function classify(text: string, lex: CompiledLexicons, opts: ClassifyOptions = {}): Classification {
  const lexical = lexiconLayer(text, lex, opts);
  const model = lex.models?.[opts.context ?? 'web'];
  if (model && text.length <= (model.manifest.maxChars ?? Number.POSITIVE_INFINITY))
    return withModel(model, lexical, lex.scoring.threshold, text, opts.title);
  return lexical.classification;
}

/** The lexicon layer alone (training reads it; `classify` stacks the model on it). */
export function lexiconLayer(text: string, lex: CompiledLexicons, opts: ClassifyOptions = {}): LexiconLayer {
  const context = opts.context ?? 'web';
  const scoring = lex.scoring;
  const found: RawMatch[] = [];
  const runs = [find(lex, text, false, found)];
  /** A match as written, in the text or the title. */
  const formOf = (m: RawMatch) => (m.inTitle ? opts.title! : text).slice(m.origStart, m.origEnd);
  if (opts.title) runs.push(find(lex, opts.title, true, found));
  // Title first, then text; by position, longer first at the same start.
  found.sort(byPosition);
  resolveOverlaps(lex, found);
  explainAway(lex, found);

  const ev = emptyEvidence();
  const categoryOf = new Map<string, Category>();
  const { generic, reported, goods } = lex.classes;
  const entries: Entry[] = [];
  /** Evidence inferred from the matches rather than a lexicon term, explained at the match `at`. */
  const infer = (
    at: Entry,
    group: EvidenceGroup & Reason['group'],
    term: string,
    weight: number,
    cls: string,
  ) => {
    addEvidence(ev, group, term, weight);
    entries.push({ ...at, group, evGroup: group, term, weight, cls });
  };
  let innocentGood = false;
  /** A negative term names the goods: salt, a pipe, a steroid (`scoring.goodsClasses`, or `explains`). */
  let namedGoods = false;
  let hiring: Entry | undefined;
  let quantity: Entry | undefined;
  let deadDrop: Entry | undefined;
  // Substances named by emoji (❄️ 💎 🍀): the first, and how many distinct.
  let emoji: Entry | undefined;
  let emojiTerms: Set<string> | undefined;
  let deadDropForms: Set<string> | undefined;
  // Proximity: the end of the last substance and of the last offer seen in the text (not the title).
  let subEnd = -1;
  let offerEnd = -1;
  let near: Entry | undefined;
  // Price list: prices next to quantities (either order), in the text.
  let qtyEnd = -1;
  let priceEnd = -1;
  let pairs = 0;
  let firstPair: Entry | undefined;
  for (const m of found) {
    if (m.dropped) continue;
    const group = groupOf(lex, m);
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
      evGroup = t.group;
      if (t.group !== 'substance' && t.group !== 'negative' && t.group !== 'recruitment') {
        if (generic.has(t.class)) evGroup = 'commerce';
        else if (reported.has(t.class)) evGroup = 'reported';
      }
    }
    // A negative term of weight 0 is a shield: it covers the words it shields and names the goods,
    // and is no negative context (it neither damps nor counts against the dead-drop inference).
    if (group !== 'negative' || weight > 0) addEvidence(ev, evGroup, term, weight);
    const e: Entry = { m, group, evGroup, term, weight, cls, lang };
    entries.push(e);
    if (group === 'negative' && m.term >= 0) {
      if (lex.terms[m.term]!.explains.length > 0) innocentGood = namedGoods = true;
      else if (goods.has(cls)) namedGoods = true;
    }
    if (quantity === undefined && m.label === 'quantity') quantity = e;
    if (group === 'substance' && m.term >= 0 && PICTOGRAPH.test(formOf(m))) {
      emoji ??= e;
      emojiTerms ??= new Set();
      emojiTerms.add(term);
    }
    if (evGroup === 'reported' && cls === 'dead-drop') {
      deadDrop ??= e;
      deadDropForms ??= new Set();
      deadDropForms.add(formOf(m).toLowerCase());
    }
    if (hiring === undefined && group === 'recruitment' && cls === 'hiring') hiring = e;
    if (!m.inTitle && (m.label === 'price' || m.label === 'quantity')) {
      const last = m.label === 'price' ? qtyEnd : priceEnd;
      if (last >= 0 && m.origStart >= last && m.origStart - last <= PRICE_PAIR_CHARS) {
        pairs++;
        firstPair ??= e;
        // A pair uses both ends up.
        qtyEnd = -1;
        priceEnd = -1;
      } else if (m.label === 'price') priceEnd = m.origEnd;
      else qtyEnd = m.origEnd;
    }
    // An offer, price or shop word right next to a substance: "buy cocaine", "мефедрон 1г 3500р".
    if (near === undefined && !m.inTitle && group !== 'negative') {
      if (group === 'substance') {
        if (offerEnd >= 0 && m.origStart >= offerEnd && m.origStart - offerEnd <= PROXIMITY_CHARS) near = e;
        else if (availableAfter(text, m.origEnd)) near = e;
        subEnd = Math.max(subEnd, m.origEnd);
      } else if (
        group === 'intent' &&
        m.label !== 'quantity' &&
        m.label !== 'count' &&
        (evGroup === 'commerce' || cls === 'offer')
      ) {
        if (subEnd >= 0 && m.origStart >= subEnd && m.origStart - subEnd <= PROXIMITY_CHARS) near = e;
        offerEnd = Math.max(offerEnd, m.origEnd);
      }
    }
  }
  if (near) infer(near, 'intent', 'offer next to substance', PROXIMITY_WEIGHT, 'proximity');
  // Hiring words with dead-drop logistics: the job is laying out stashes ("работа, закладки").
  if (hiring && deadDrop) {
    infer(hiring, 'recruitment', 'hiring for dead drops', HIRING_DEAD_DROP_WEIGHT, 'courier');
  }
  if (firstPair && scoring.priceListWeight > 0 && pairs >= scoring.priceListMin) {
    infer(firstPair, 'intent', 'price list', scoring.priceListWeight, 'price-list');
  }
  // A marketplace listing sold by weight or dose: evidence of a (possibly unnamed) substance, unless
  // no substance is named and a negative term says what is weighed (a steroid, scales, table salt).
  if (
    context === 'marketplace' &&
    scoring.soldByWeight > 0 &&
    quantity &&
    !(namedGoods && ev.substance.size === 0)
  ) {
    infer(quantity, 'substance', 'unnamed substance', scoring.soldByWeight, 'sold-by-weight');
  }
  // A menu of drug emoji (`❄️💎🍀 бар, жазыңдар`): two substances or more named by emoji is how a shop
  // lists its goods; one emoji alone is everyday chat.
  if (scoring.emojiMenu > 0 && emoji && emojiTerms!.size >= 2) {
    infer(emoji, 'intent', 'emoji menu', scoring.emojiMenu, 'offer');
  }
  // Dead drops are how drugs are sold and nothing else: a text that arranges one in two words of
  // the trade ("клад целый, магнит на месте") sells a substance even when it names none, unless it
  // has negative context of any kind (treasure hunting, fridge magnets, bookmarks, the news). One
  // word alone is too often innocent (a magnetic phone holder).
  if (
    scoring.deadDropGoods > 0 &&
    deadDrop &&
    deadDropForms!.size >= 2 &&
    ev.substance.size === 0 &&
    ev.negative.size === 0
  ) {
    infer(deadDrop, 'substance', 'unnamed substance', scoring.deadDropGoods, 'dead-drop-goods');
  }

  const base = combine(ev, scoring, context);
  // Terms already credited, per evidence group (terms are the lexicon's own strings: cheap keys).
  const credited = new Map<EvidenceGroup, Set<string>>();
  const reasons: Reason[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const { m, group, evGroup, term, weight, cls, lang } = entries[i]!;
    let c = 0;
    // Credit the first occurrence that carries the term's best weight; repeats contribute 0.
    let done = credited.get(evGroup);
    if (done === undefined) {
      done = new Set();
      credited.set(evGroup, done);
    }
    if (!done.has(term) && ev[evGroup].get(term) === weight) {
      done.add(term);
      c = base.score - combine(ev, scoring, context, { group: evGroup, term }).score;
    }
    const r: Reason = {
      group,
      term,
      form: formOf(m),
      span: [m.origStart, m.origEnd],
      weight: round(weight),
      contribution: round(c),
      class: cls,
      via: m.via,
    };
    if (lang !== undefined) r.lang = lang;
    if (m.inTitle) r.in = 'title';
    const gloss = m.term >= 0 ? lex.terms[m.term]?.gloss : undefined;
    if (gloss) r.gloss = gloss;
    reasons[i] = r;
  }
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
  const classification: Classification = {
    score: round(base.score),
    lead,
    // Recruitment is the more specific finding: it names the kind whenever it crosses the threshold.
    kind: lead ? (base.recruitment >= scoring.threshold ? 'recruitment' : 'sale') : null,
    category,
    substances,
    reasons,
    lexiconVersion: lex.version,
  };
  return {
    classification,
    runs,
    damp: base.damp,
    innocent: innocentGood && ev.substance.size === 0,
    // A text that names a substance is about selling it, though a courier bringing it may read as hiring.
    recruiting: base.recruitment > base.sale && ev.substance.size === 0,
  };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

export { CATEGORIES, VIA_FACTOR };
