import type { Automaton } from './automaton.ts';
import type { Memo } from './memo.ts';
import type { TextModel } from './model/model.ts';
import type { Token } from './tokenise.ts';
import type { Category, Scoring } from './lexicon-schema.ts';

export type { Category, Scoring } from './lexicon-schema.ts';

/** Where a text comes from. `marketplace`: every listing is an offer, a prior for sale intent. */
export type SiteContext = 'web' | 'marketplace';

/** Group of evidence a reason belongs to. */
export type ReasonGroup =
  | 'substance'
  | 'intent'
  | 'contact'
  | 'payment'
  | 'recruitment'
  | 'negative'
  | 'context'
  | 'learned';

/** Groups that terms in lexicon files belong to. */
export type TermGroup = Exclude<ReasonGroup, 'context' | 'learned'>;

/** One piece of evidence: a matched term (or a prior), where it is and what it did to the score. */
export interface Reason {
  group: ReasonGroup;
  /** Canonical term (`mephedrone`, `dead drop`, `price`...). */
  term: string;
  /** The text as seen in the original (`Мeфeдрoн`). */
  form: string;
  /** `[start, end)` offsets in the original text (in `opts.title` when `in` is `title`). */
  span: [number, number];
  /** Weight of this evidence after the match-kind factor (a fuzzy match counts less). */
  weight: number;
  /** How much the score drops if this term is removed (negative for negative context); 0 for repeats. */
  contribution: number;
  /** Term class (`cathinone`, `dead-drop`, `news`...). */
  class?: string;
  /** Language of the matched form. */
  lang?: string;
  /** How the form matched: `exact`, `stem`, `suffix`, `homoglyph`, `leet`, `translit`, `spaced`, `split` (`ме-фе-дрон`, `мефедр*н`), `fuzzy`, `phrase`. */
  via?: string;
  /** Set to `title` when the match is in `opts.title`, not in the text. */
  in?: 'title';
  /** The lexicon entry's English meaning (`gloss`), when it has one. */
  gloss?: string;
}

/** The classifier's decision about one text. */
export interface Classification {
  /** 0..1; a lead at `scoring.threshold` and above. */
  score: number;
  lead: boolean;
  kind: 'sale' | 'recruitment' | null;
  /** Category of the strongest substance evidence, or `null` when no substance matched. */
  category: Category | null;
  /** Canonical names of matched substances, strongest first. */
  substances: string[];
  reasons: Reason[];
  lexiconVersion: string;
  /** The learned layer's verdict, when a model for the context is loaded (`model/combine.ts`). */
  model?: ModelVerdict;
}

/** What the learned layer said, beside the lexicon layer's own decision. */
export interface ModelVerdict {
  /** The model's version (its manifest). */
  version: string;
  /** Calibrated probability of both layers stacked. */
  probability: number;
  /** The text model's probability alone. */
  text: number;
  /** The lexicon layer's own score and decision. */
  lexiconScore: number;
  lexiconLead: boolean;
  /** A veto of the lexicons' applies: the text is no lead whatever the model said (`model/combine.ts`, step 3). */
  vetoed: boolean;
  /** Which: an innocent sense that accounts for the text (no substance named), or negative context. */
  vetoedBy?: 'innocent sense' | 'negative context';
}

/** One compiled term. */
export interface CompiledTerm {
  readonly id: number;
  readonly group: TermGroup;
  readonly term: string;
  readonly class: string;
  readonly category: Category | null;
  readonly weight: number;
  readonly lang: string;
  readonly file: string;
  readonly translit: boolean;
  /** Negative terms: canonical substance names (lowercase) whose weak slang this innocent sense explains. */
  readonly explains: readonly string[];
  /** The entry's English meaning, when the lexicon gives one. */
  readonly gloss?: string;
}

/** How a token matched a term. */
export type Via =
  | 'exact'
  | 'stem'
  | 'suffix'
  | 'homoglyph'
  | 'leet'
  | 'translit'
  | 'fuzzy'
  | 'spaced'
  | 'split'
  | 'phrase';

/** A hash-map hit for one token. */
export interface TokenHit {
  readonly term: number;
  readonly via: Via;
  /** The hit is the token's first `letters` units, a number glued after them (`мефедрон1г`). */
  readonly letters?: number;
}

/** What a token turns into: its key for phrase matching and its hash-map hits. */
export interface TokenInfo {
  /** The token text this analysis is for. */
  readonly text: string;
  readonly key: string;
  /** The key in Latin letters (Cyrillic transliterated), for phrases written in mixed scripts. */
  readonly latinKey: string;
  readonly hits: readonly TokenHit[];
  /** Has Chinese characters: phrases may start inside it. */
  readonly han: boolean;
  /**
   * The phrase trie walked through `latinKey` from the root: the state after it (-1: no pattern
   * starts with it), and the patterns it spells on the way, as pairs of end offset and pattern id.
   */
  readonly phraseState: number;
  readonly phraseEnds: readonly number[];
}

/** A phrase pattern in the automaton. */
export interface PhrasePattern {
  readonly terms: readonly number[];
  /** Per term: the pattern came from a Cyrillic form that matches only text written in Cyrillic. */
  readonly cyrOnly: readonly boolean[];
  /** Must start and end on token boundaries (false for Chinese). */
  readonly bounded: boolean;
  /**
   * An unbounded pattern may end inside a token: true when it ends in a Han character (Chinese runs
   * are one token), false when it ends in Latin letters (`大ma` must not match in `大Mac`).
   */
  readonly openEnd: boolean;
  /**
   * Every form behind the pattern writes a letter and a digit together or across one hyphen (`K2`,
   * `W-15`, `3-MMC`): in text such a code is read across at most one hyphen or space between tokens
   * (`3 mmc`), never across a comma, a colon or masking (`г, 13`, `NO: 4`, `k***2`).
   */
  readonly tight: boolean;
}

/** Fuzzy candidate: a long substance form. */
export interface FuzzyForm {
  readonly key: string;
  readonly term: number;
}

/**
 * Lexicons compiled once into fast matchers. Treat as opaque outside `src/classify`: only
 * `version`, `terms` and `scoring` are meant to be read.
 */
export interface CompiledLexicons {
  /** Short content hash of the lexicon input (first 12 hex of sha256). */
  readonly version: string;
  readonly terms: readonly CompiledTerm[];
  readonly scoring: Scoring;
  /** Files the lexicons came from, in order. */
  readonly files: readonly string[];
  readonly exact: ReadonlyMap<string, readonly number[]>;
  readonly stems: ReadonlyMap<string, readonly number[]>;
  readonly automaton: Automaton;
  readonly phrases: readonly PhrasePattern[];
  readonly fuzzy: ReadonlyMap<string, readonly FuzzyForm[]>;
  /**
   * The terms a word split to slip past a filter may read as (`ме-фе-дрон`, `з@кладки`, `мефедр*н`:
   * `splitWords` in match.ts): strong forms (weight above `explainMaxWeight`) of substances, dead drops
   * and recruitment.
   */
  readonly hidable: ReadonlySet<number>;
  /** Each `hidable` form (letters only) with one inner letter a star (`мефедр*н` → mephedrone). */
  readonly masked: ReadonlyMap<string, readonly number[]>;
  readonly units: ReadonlySet<string>;
  readonly countUnits: ReadonlySet<string>;
  readonly currencies: ReadonlySet<string>;
  readonly multipliers: ReadonlySet<string>;
  /** `scoring.genericClasses`, `reportedClasses` and `goodsClasses` as sets. */
  readonly classes: {
    readonly generic: ReadonlySet<string>;
    readonly reported: ReadonlySet<string>;
    readonly goods: ReadonlySet<string>;
  };
  /** Per-lexicon memo of token analyses (bounded: `TOKEN_MEMO` in compile.ts). */
  readonly tokenCache: Memo<TokenInfo>;
  /**
   * Direct-mapped front of `tokenCache` (a cheap hash of the token, compared by value): most
   * tokens of a page are a few hundred words, found here without hashing the whole string.
   */
  readonly tokenSlots: Array<TokenInfo | undefined>;
  /** Learned models by site context, loaded beside the lexicons (`config/models/`). */
  readonly models?: Partial<Record<SiteContext, TextModel>>;
}

/** The tokens of one text (or title) and the map back to its original. */
export interface TokenRun {
  tokens: Token[];
  starts: Int32Array | null;
  ends: Int32Array | null;
  inTitle: boolean;
}

/** What the lexicon layer found in a text: its decision, and what the learned layer reads. */
export interface LexiconLayer {
  classification: Classification;
  /** The text's tokens, then the title's. */
  runs: TokenRun[];
  /** How much negative context kept of the sale score (1: none, 0: all of it damped). */
  damp: number;
  /** An innocent sense (a negative term with `explains`) accounts for the text, and no substance is left. */
  innocent: boolean;
  /**
   * Recruitment outweighs sale in the lexicons' evidence and no substance is named: the kind of lead the
   * text is if the model makes it one.
   */
  recruiting: boolean;
}
