import type { Token } from '../tokenise.ts';
import type { Classification, LexiconLayer, Reason } from '../types.ts';
import type { Attribution } from './features.ts';
import { type Stack, stacked, type TextModel } from './model.ts';

/**
 * # How the two layers decide together
 *
 * 1. The lexicon layer scores the text and names the category, the substances and the kind (of a
 *    lead the model alone makes: recruitment where the lexicons lean to it, `LexiconLayer.recruiting`).
 * 2. The text model reads the tokens and the lexicon's evidence (`lexiconFeatures`) and gives
 *    `p_text`; the stacker combines it with the lexicon score into a calibrated probability `p`
 *    (`model.ts`), and a text is a lead at `p ≥ threshold`.
 * 3. The lexicon layer can keep decisions of its own, each where the model's training chose it
 *    out-of-fold: **recruitment** stays a lead whenever the lexicons say so (`Stack.recruitment`;
 *    always on a marketplace, whose listings are labelled by what they sell; a web model trained on
 *    posts labelled with recruitment may judge complaints that quote recruitment spam better than
 *    the lexicons), and **vetoes** make the text no lead whatever the model says: when an innocent
 *    sense (table salt, rock candy: a negative term with `explains`) accounts for the text and no
 *    substance is named (`Stack.innocent`), and when news, cosmetics or harm-reduction words damped
 *    the sale score to `VETO_DAMP` of itself or less (`Stack.veto`). Shops hide behind legal covers
 *    (bath salts, tea, candy) and a drug market's vendors sell seeds and reagent tests beside their
 *    drugs: where the labels say so, the model has learned those words from its `L:negative:…`
 *    features and training lets it weigh them. A manifest without a choice keeps the lexicons' say.
 * 4. `score` is `p` rescaled so that the model's threshold sits at `scoring.threshold` (a lead is
 *    still `score ≥ threshold`); `model` keeps `p`, `p_text` and the lexicon's own score.
 *
 * The model's strongest features join the reasons as group `learned`, with their share of the
 * text model's logit as weight, and the span of the word or pair of words they came from.
 */

/** Negative context that left this share of the sale score or less vetoes the model. */
export const VETO_DAMP = 0.5;
/** How many learned features an explanation lists. */
export const LEARNED_REASONS = 6;

/** Up to this many reasons, `lexiconFeatures` finds repeats by comparing with the earlier ones. */
const FEW_REASONS = 32;

/** The lexicon layer's evidence as model features. */
export function lexiconFeatures(c: Classification): string[] {
  // A page repeats its terms: one feature per distinct term. A few reasons (a title's) are compared
  // with the earlier ones, no Set made; more go through a Set of the lexicon's own strings per group.
  const reasons = c.reasons;
  const out: string[] = [];
  if (reasons.length <= FEW_REASONS) {
    for (let i = 0; i < reasons.length; i++) {
      const r = reasons[i]!;
      if (r.group === 'context') continue;
      let j = 0;
      while (j < i && (reasons[j]!.term !== r.term || reasons[j]!.group !== r.group)) j++;
      if (j === i) out.push(`L:${r.group}:${r.term}`);
    }
  } else {
    const seen = new Map<string, Set<string>>();
    for (const r of reasons) {
      if (r.group === 'context') continue;
      let terms = seen.get(r.group);
      if (!terms) {
        terms = new Set();
        seen.set(r.group, terms);
      }
      if (terms.has(r.term)) continue;
      terms.add(r.term);
      out.push(`L:${r.group}:${r.term}`);
    }
  }
  if (c.category) out.push(`L:category:${c.category}`);
  out.push(`L:score:${Math.min(9, Math.floor(c.score * 10))}`);
  if (c.lead) out.push(`L:lead:${c.kind}`);
  return out;
}

/** The text's tokens, then the title's: what the model reads. */
export function allTokens(layer: LexiconLayer): Token[] {
  // concat, not flatMap: on a 1,500-token page with a title, 2 µs against 280 µs (node 20).
  const runs = layer.runs;
  let out = runs[0]!.tokens;
  for (let k = 1; k < runs.length; k++) out = out.concat(runs[k]!.tokens);
  return out;
}

/** The probability of the stacked layers for a text the lexicon layer has read (and, with `explain`, its top features). */
function modelProbabilities(
  model: TextModel,
  layer: LexiconLayer,
  explain?: Attribution[],
): { text: number; p: number } {
  const c = layer.classification;
  const tokens = allTokens(layer);
  const lexicon = lexiconFeatures(c);
  const text = model.score(tokens, lexicon, explain ? { top: LEARNED_REASONS, out: explain } : undefined);
  return { text, p: stacked(model.manifest.stack, text, c.score, c.lead) };
}

/** Rescales `p` so that `from` (the model's threshold) lands on `to` (the lexicons'). */
function rescale(p: number, from: number, to: number): number {
  return p < from ? (p / from) * to : to + ((p - from) / (1 - from)) * (1 - to);
}

/** Whether negative context damped the sale score enough to veto (where the model's stack vetoes). */
function negativeVeto(layer: LexiconLayer): boolean {
  return layer.damp <= VETO_DAMP && layer.classification.reasons.some((r) => r.group === 'negative');
}

/**
 * The decision of both layers for a stacked probability `p` (steps 2–3 above), with the lexicons'
 * decisions the stack keeps; a choice the stack does not record keeps the lexicons' say.
 */
export function decide(
  layer: LexiconLayer,
  p: number,
  threshold: number,
  { veto = true, recruitment = true, innocent = true }: Pick<Stack, 'veto' | 'recruitment' | 'innocent'>,
): { lead: boolean; recruited: boolean; vetoedBy: 'innocent sense' | 'negative context' | null } {
  const c = layer.classification;
  const vetoedBy =
    innocent && layer.innocent ? 'innocent sense' : veto && negativeVeto(layer) ? 'negative context' : null;
  /** The lexicons' recruitment, kept by the stack, makes the text a lead. */
  const recruited = recruitment && c.kind === 'recruitment';
  return { lead: recruited || (vetoedBy === null && p >= threshold), recruited, vetoedBy };
}

/** The classification of both layers; `cut` is the lexicons' `scoring.threshold` (step 4 above). */
export function withModel(
  model: TextModel,
  layer: LexiconLayer,
  cut: number,
  text: string,
  title?: string,
): Classification {
  const c = layer.classification;
  const top: Attribution[] = [];
  const { text: pText, p } = modelProbabilities(model, layer, top);
  const threshold = model.manifest.threshold;
  const { lead, recruited, vetoedBy } = decide(layer, p, threshold, model.manifest.stack);
  // The lexicons name the kind; of a lead the model alone makes, by the side their evidence leans to
  // (`Работа курьером, оплата каждый день, пиши в телеграм` is hiring, not a sale).
  const recruitment = c.kind === 'recruitment' || (c.kind === null && layer.recruiting);
  let score = recruited ? Math.max(c.score, rescale(p, threshold, cut)) : rescale(p, threshold, cut);
  // A veto keeps the score under the line.
  if (!lead) score = Math.min(score, Math.max(0, cut - 1e-4));
  const out: Classification = {
    ...c,
    score: Math.round(score * 10000) / 10000,
    lead,
    kind: lead ? (recruitment ? 'recruitment' : 'sale') : null,
    reasons: [...c.reasons, ...learnedReasons(top, layer, text, title)],
    model: {
      version: model.manifest.version,
      probability: round(p),
      text: round(pText),
      lexiconScore: c.score,
      lexiconLead: c.lead,
      vetoed: vetoedBy !== null,
      ...(vetoedBy ? { vetoedBy } : {}),
    },
  };
  return out;
}

/** The model's strongest features as reasons, with the span of the words they came from. */
function learnedReasons(
  top: readonly Attribution[],
  layer: LexiconLayer,
  text: string,
  title?: string,
): Reason[] {
  const reasons: Reason[] = [];
  for (const k of top) {
    let span: [number, number] = [0, 0];
    let form = '';
    let inTitle = false;
    if (k.tokens) {
      // Tokens index the runs in order: find the run holding the first one.
      let i = k.tokens[0];
      let run = layer.runs[0]!;
      for (const r of layer.runs) {
        if (i < r.tokens.length) {
          run = r;
          break;
        }
        i -= r.tokens.length;
      }
      const a = run.tokens[i]!;
      const b = run.tokens[Math.min(run.tokens.length - 1, i + (k.tokens[1] - k.tokens[0]) - 1)]!;
      const start = run.starts ? run.starts[a.start]! : a.start;
      const end = run.ends ? run.ends[b.end - 1]! : b.end;
      span = [start, end];
      inTitle = run.inTitle;
      form = (inTitle ? (title ?? '') : text).slice(start, end);
    }
    const r: Reason = {
      group: 'learned',
      term: k.label,
      form,
      span,
      weight: round(k.weight),
      contribution: round(k.weight),
      class: k.tokens ? (k.tokens[1] - k.tokens[0] > 1 ? 'bigram' : 'word') : 'lexicon',
      via: 'model',
    };
    if (inTitle) r.in = 'title';
    reasons.push(r);
  }
  return reasons;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
