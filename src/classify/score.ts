import type { Scoring, SiteContext } from './types.ts';

/**
 * # Scoring
 *
 * Evidence comes in groups: substance (S), intent (I: offers, prices, quantities, stock,
 * delivery, dead drops), contact (C), payment (P), recruitment (R) and negative context (N).
 * Before scoring, negative terms with `explains` drop the weak slang they account for (a page
 * about "поваренная соль" reads every weak "соль" as salt), see `lexicon-schema.ts`.
 * Each distinct canonical term counts **once** per group, at the highest weight it was seen
 * with (a fuzzy match counts 0.8 of the term's weight, a transliterated one 0.9). Repeating a
 * word therefore adds nothing: that is the saturation that stops `соль соль соль` from being a lead.
 *
 * Within a group the distinct terms combine by noisy-OR, so each new kind of evidence adds less:
 *
 *     g(G) = 1 − Π_{t ∈ G} (1 − w_t)
 *
 * Generic commerce evidence (G) — prices, quantities, and terms whose class is in
 * `scoring.genericClasses` (shop words, shipping, PayPal) — is something every web shop has, so it
 * is capped at `scoring.genericCap`. Sale intent pools intent, contact, payment and capped commerce,
 * then the site's prior:
 *
 *     O  = 1 − (1 − g(intent)) · (1 − g(contact)) · (1 − g(payment))        (specific offer evidence)
 *     I  = 1 − (1 − O) · (1 − g(reported)) · (1 − min(genericCap, g(G)))
 *     I' = 1 − (1 − I) · (1 − prior)       prior = scoring.marketplacePrior for `marketplace`, else 0
 *
 * "Reported" intent — classes in `scoring.reportedClasses` (dead drops; the bundled lexicons add the
 * name Telegram alone) — is as common in police news as in shops, so it counts in I but not in O,
 * the evidence that offsets negative context.
 *
 * An offer word or price (not a bare quantity: news say "5 kg of heroin") within `PROXIMITY_CHARS` of a substance ("buy cocaine",
 * "мефедрон 1г 3500р") adds the specific intent term `offer next to substance` (weight 0.4).
 *
 * Negative context is weighed by how much of the text it is: with n⁻ negative occurrences and n⁺
 * substance/intent/contact/payment occurrences (generic commerce not counted), ρ = n⁻ / (n⁻ + n⁺) and
 *
 *     N = g(negative) · min(1, 2ρ)
 *
 * so a news story (many police words) is damped fully, a title with one negative word too
 * ("Cocaine Smuggling Guide"), but a shop page whose menu says "Guides" or "My Account" barely.
 * A sale needs both a substance and intent (geometric mean), damped by negative context; offer
 * evidence offsets part of the damping (a shop page saying "we never talk to the police"): the
 * specific kind and the capped generic commerce, Oc = 1 − (1 − O) · (1 − min(genericCap, g(G))),
 * but not reported logistics (the news has dead drops). (An earlier version of this comment said O
 * alone; offsetting by O alone lost 5 of the 123 sale pages found on the onion dev set.)
 *
 *     sale = √(g(S) · I') · (1 − N · (1 − negativeOffset · Oc))
 *
 * Recruitment needs recruitment terms, helped by any drug context D = max(g(S), I). Hiring words
 * (class `hiring`: "работа", "ish bor", "hiring") in a text with dead-drop logistics add the term
 * `hiring for dead drops` (0.6): the job is laying out stashes.
 *
 * A price list — at least `scoring.priceListMin` prices each next to a quantity ("1g 3500₽,
 * 2g 6500₽") — adds the specific intent term `price list` (`scoring.priceListWeight`).
 *
 *     recruitment = g(R) · (0.6 + 0.4 · D) · (1 − N · (1 − negativeOffset · Oc))
 *
 * On a marketplace, a listing sold by weight or dose (`7g`, `1/4 oz`, `150ug`) adds an "unnamed
 * substance" of weight `scoring.soldByWeight` to the substance group: on a drug market such
 * listings are drugs even when the name is a strain, a pill brand or blotter art — unless no
 * substance is named and an innocent sense (a negative term with `explains`: table salt, spices,
 * rock sugar) says what is weighed.
 *
 *     score = max(sale, recruitment),  lead = score ≥ scoring.threshold
 *
 * `kind` is `recruitment` when the recruitment score reaches the threshold, else `sale`. Each reason's `contribution` is
 * leave-one-out: the score minus the score without that term (0 for repeats).
 */

/** Distinct evidence per group: canonical term → best weight. */
export interface Evidence {
  substance: Map<string, number>;
  intent: Map<string, number>;
  /** Intent that reports mention as often as shops (dead drops): no offset of negatives. */
  reported: Map<string, number>;
  contact: Map<string, number>;
  payment: Map<string, number>;
  /** Generic commerce: prices, quantities, shop words (capped). */
  commerce: Map<string, number>;
  recruitment: Map<string, number>;
  negative: Map<string, number>;
  /** Occurrences (not distinct terms) of negative and of positive evidence. */
  negativeCount: number;
  positiveCount: number;
}

export type EvidenceGroup = Exclude<keyof Evidence, 'negativeCount' | 'positiveCount'>;

export function emptyEvidence(): Evidence {
  return {
    substance: new Map(),
    intent: new Map(),
    reported: new Map(),
    contact: new Map(),
    payment: new Map(),
    commerce: new Map(),
    recruitment: new Map(),
    negative: new Map(),
    negativeCount: 0,
    positiveCount: 0,
  };
}

/** Noisy-OR of a group's weights, optionally leaving one term out. */
export function noisyOr(group: Map<string, number>, without?: string): number {
  let p = 1;
  for (const [t, w] of group) if (t !== without) p *= 1 - w;
  return 1 - p;
}

export interface ScoreParts {
  /** The share of the sale score that negative context left (1: none damped). */
  damp: number;
  sale: number;
  recruitment: number;
  score: number;
}

/** Combines the evidence as documented above. `leaveOut` drops one term of one group. */
export function combine(
  ev: Evidence,
  scoring: Scoring,
  context: SiteContext,
  leaveOut?: { group: EvidenceGroup; term: string },
): ScoreParts {
  const g = (name: EvidenceGroup) => noisyOr(ev[name], leaveOut?.group === name ? leaveOut.term : undefined);
  const s = g('substance');
  const commerce = Math.min(scoring.genericCap, g('commerce'));
  const offer = 1 - (1 - g('intent')) * (1 - g('contact')) * (1 - g('payment'));
  const intentText = 1 - (1 - offer) * (1 - g('reported')) * (1 - commerce);
  const prior = context === 'marketplace' ? scoring.marketplacePrior : 0;
  const intent = 1 - (1 - intentText) * (1 - prior);
  const total = ev.negativeCount + ev.positiveCount;
  const share = total === 0 ? 0 : Math.min(1, (2 * ev.negativeCount) / total);
  const damp = 1 - g('negative') * share * (1 - scoring.negativeOffset * (1 - (1 - offer) * (1 - commerce)));
  const sale = Math.sqrt(s * intent) * damp;
  const d = Math.max(s, intentText);
  const recruitment = g('recruitment') * (0.6 + 0.4 * d) * damp;
  return { damp, sale, recruitment, score: Math.min(1, Math.max(sale, recruitment)) };
}

/** Adds one term's weight to a group, keeping the best weight per canonical term (saturation). */
export function addEvidence(ev: Evidence, group: EvidenceGroup, term: string, weight: number): boolean {
  if (group === 'negative') ev.negativeCount++;
  else if (group !== 'recruitment' && group !== 'commerce') ev.positiveCount++;
  const map = ev[group];
  const prev = map.get(term);
  if (prev === undefined || weight > prev) {
    map.set(term, weight);
    return prev === undefined;
  }
  return false;
}
