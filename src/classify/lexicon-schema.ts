import { z } from 'zod';

/**
 * The lexicon file format, as analysts write it in `config/lexicons/*.yaml`. Every file may hold
 * any of the term lists; the loader merges all files (sorted by name) into one matcher.
 *
 * ```yaml
 * description: Russian street names of synthetic cathinones
 * lang: ru
 * substances:
 *   - term: mephedrone            # canonical name shown to investigators
 *     class: cathinone            # decides the category (here: nps)
 *     weight: 0.9
 *     forms: [мефедрон, меф, мяу, 4-ммс]
 *     note: "мяу" is slang from the "meow meow" nickname
 * intent:
 *   - { term: dead drop, class: dead-drop, weight: 0.7, forms: [закладка, клад, прикоп] }
 * negative:
 *   - { term: bath salt, class: innocent, weight: 0, forms: [соль для ванн] }
 * ```
 */

/** The categories a substance falls in. */
export const CATEGORIES = ['synthetic', 'nps', 'classic', 'pharma', 'precursor'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * Substance classes and the category each implies. A substance term's `class` must be one of these
 * unless the term sets `category` itself, or is `generic` ("drugs" in general: evidence of a
 * substance, but no category).
 *
 * ## Taxonomy (one for the whole product: lexicons, leads, demo ground truth)
 *
 * Follows the UNODC Early Warning Advisory's split between new psychoactive substances and
 * established synthetic drugs:
 *
 * - `nps` — new psychoactive substances, sold as "legal highs", "research chemicals" or under
 *   street names: synthetic cathinones (mephedrone/4-MMC, 3-MMC, 3-CMC, 4-CMC, α-PVP "соль",
 *   α-PHP, MDPV, eutylone…), synthetic cannabinoids ("спайс", K2, MDMB-4en-PINACA…), nitazenes,
 *   designer benzodiazepines (bromazolam, etizolam, phenazepam…), phenethylamines (2C-x, NBOMe),
 *   synthetic tryptamines (4-HO-MET…), and research chemicals in general.
 * - `synthetic` — established synthetic drugs under international control for decades:
 *   amphetamine-type stimulants (amphetamine, methamphetamine), entactogens (MDMA, MDA),
 *   dissociatives (ketamine, PCP, and their analogues), GHB/GBL, fentanyl and its analogues.
 * - `classic` — plant-based and long-established drugs: cannabis and hashish, cocaine, heroin and
 *   opium, LSD, psilocybin mushrooms, DMT, mescaline.
 * - `pharma` — diverted medicines (tramadol, oxycodone, pregabalin, prescription benzodiazepines).
 * - `precursor` — chemicals to make drugs (BMK, PMK, P2P, ephedrine, APAA, safrole).
 *
 * "Synthetic drugs and NPS" — the product's focus — is `synthetic` ∪ `nps`: the agora `klass`
 * evaluation counts both as positive against `classic`. Mephedrone and α-PVP are therefore `nps`,
 * not `synthetic`: the category names the class of the strongest substance evidence.
 */
export const CLASS_CATEGORY: Readonly<Record<string, Category>> = {
  cathinone: 'nps',
  'synthetic-cannabinoid': 'nps',
  'designer-benzodiazepine': 'nps',
  phenethylamine: 'nps',
  tryptamine: 'nps',
  nitazene: 'nps',
  'research-chemical': 'nps',
  'synthetic-opioid': 'synthetic',
  ats: 'synthetic',
  entactogen: 'synthetic',
  dissociative: 'synthetic',
  ghb: 'synthetic',
  lysergamide: 'classic',
  cannabis: 'classic',
  cocaine: 'classic',
  opiate: 'classic',
  'natural-psychedelic': 'classic',
  pharma: 'pharma',
  precursor: 'precursor',
};

const lang = z
  .string()
  .regex(
    /^[a-z]{2,3}(-[a-z]{2,4})?$/,
    'a language code such as ru, kk, ky, uz, uz-cyrl, tg, zh, en or "any"',
  );

/** One term: a canonical name and the forms that mean it. */
export const termSchema = z
  .object({
    /** Canonical name (shown in reasons and in `substances[]`). Required. */
    term: z.string().trim().min(1),
    /**
     * Ways the term is written. Each form is normalised like the text (case, NFKC, homoglyphs,
     * `ё`→`е`), so list spelling variants, not case variants. A form of one word matches that
     * word and, unless `match: exact`, its stem (English/Russian Porter; suffix rules for Kazakh,
     * Kyrgyz, Uzbek, Tajik). A form of several words, with digits (`3-mmc`) or in Chinese is
     * matched as a phrase, ignoring spaces and hyphens between its parts (`3-MMC` = `3 mmc` =
     * `3mmc`). Required, at least one.
     */
    forms: z
      .array(
        z
          .string({
            error: 'a form must be text: quote forms that contain commas or are numbers ("3,4-ctmp")',
          })
          .trim()
          .min(1)
          .refine((f) => !/^[\d\s.,/-]+$/.test(f), 'a form of only digits would match every such number'),
      )
      .min(1),
    /** Language of the forms (`ru`, `kk`, `ky`, `uz`, `uz-cyrl`, `tg`, `zh`, `en`, `any`). Default: the file's `lang`. */
    lang: lang.optional(),
    /**
     * Kind of term. For substances it decides the category (see `CLASS_CATEGORY`: `cathinone`,
     * `synthetic-cannabinoid`, `ats`, `cannabis`, `pharma`, `precursor`...). For other groups it
     * is a free label shown in reasons (`price`, `dead-drop`, `news`, `innocent`...). Default: the group name.
     */
    class: z.string().trim().min(1).optional(),
    /** Overrides the category implied by `class` (substances only). */
    category: z.enum(CATEGORIES).optional(),
    /**
     * Strength of the evidence, 0..1. Default: the group's default (`scoring.defaultWeights`).
     * A weight of 0 on a negative term only shields the words it covers (see `negative`).
     */
    weight: z.number().min(0).max(1).optional(),
    /** Free text for analysts: why the term is here, what it collides with. */
    note: z.string().optional(),
    /**
     * What the term means, in English, for investigators who do not read the language (`"dead
     * drop (a hidden stash)"`). Shown beside each match on the lead page and in exports. Optional.
     */
    gloss: z.string().trim().min(1).optional(),
    /**
     * `stem` (default): also match inflected forms. `exact`: only the form itself — use for short
     * slang that is a common word in another form. Forms shorter than 4 letters are always exact.
     */
    match: z.enum(['stem', 'exact']).default('stem'),
    /**
     * Also match the form written in the other script: `zakladka` for `закладка`, and a chemical name
     * in Cyrillic look-alike letters (`4-ммс` for `4-mmc`). Default `true`; `false` where that writing
     * is a common word (`4-mec` read in Cyrillic is `4 мес`, "4 months").
     */
    translit: z.boolean().default(true),
    /**
     * Allow a bounded fuzzy match (one typo, two for forms of 11+ letters) for forms of 8+ letters.
     * Default: `true` for substances, `false` otherwise.
     */
    fuzzy: z.boolean().optional(),
    /**
     * Negative terms only: the substances (canonical names) whose weak slang this innocent sense
     * explains. When the term is in a text (or its title), weak matches (weight at most
     * `scoring.explainMaxWeight`) of those substances anywhere in it are read in the innocent sense
     * and dropped: a page saying "поваренная" or "bath salt" is about salt, so its other "соль" and
     * "кристаллы" are too; "скорость интернета" explains a later "скорость". Strong names
     * (`мефедрон`, `α-PVP`) are never explained away.
     */
    explains: z.array(z.string().trim().min(1)).optional(),
  })
  .strict();
export type TermInput = z.output<typeof termSchema>;

const weight01 = z.number().min(0).max(1);

/** Scoring parameters. May live in one lexicon file or be passed to `compileLexicons`. */
export const scoringSchema = z
  .object({
    /** Score at or above which a text is a lead. Default 0.5. */
    threshold: weight01.default(0.5),
    /** Sale-intent prior for `marketplace` context (every listing is an offer). Default 0.7. */
    marketplacePrior: weight01.default(0.7),
    /** Weight of a quantity with a unit (`5 g`, `1 гр`, `10 tabs`). Default 0.35. */
    quantityWeight: weight01.default(0.35),
    /**
     * Substance weight of a marketplace listing sold by weight or dose (`7g`, `1/4 oz`, `150ug`)
     * when no substance is named: on a drug market such listings are drugs. 0 turns it off. Default 0.45.
     */
    soldByWeight: weight01.default(0.45),
    /**
     * Substance weight of a text that arranges a dead drop (a `dead-drop` intent term) and names no
     * substance: nothing but drugs is sold through dead drops ("клад целый, магнит на месте,
     * заказывайте в боте"). 0 turns it off. Default 0.5.
     */
    deadDropGoods: weight01.default(0.5),
    /**
     * Sale intent of a menu of drug emoji: two or more substances named by emoji in one text
     * (`❄️💎🍀 бар, жазыңдар`). 0 turns it off. Default 0.4.
     */
    emojiMenu: weight01.default(0.4),
    /**
     * Weight of a price list: at least `priceListMin` prices each next to a quantity (`1g — 3500₽`,
     * `3.5g $30`, `10g 0.033 ฿`). Shops sell drugs by weight in steps; a shop selling one bag of
     * salt or one pipe has one such pair. Specific intent (offsets negatives). 0 turns it off. Default 0.5.
     */
    priceListWeight: weight01.default(0.5),
    /** How many quantity–price pairs make a price list. Default 3. */
    priceListMin: z.number().int().min(1).default(3),
    /** Cap on generic commerce evidence (classes in `genericClasses`, prices, quantities). Default 0.45. */
    genericCap: weight01.default(0.45),
    /** Intent/contact/payment classes that every web shop has; their evidence is capped by `genericCap`. */
    genericClasses: z.array(z.string()).default(['commerce', 'delivery']),
    /** Weight of a messenger handle (`@shop_bot`, `t.me/...`), a contact. Default 0.3. */
    handleWeight: weight01.default(0.3),
    /** Weight of a price with a currency (`3500₽`, `$100`, `15000 тг`). Default 0.6. */
    priceWeight: weight01.default(0.6),
    /** How much strong sale evidence (0..1) offsets negative context. Default 0.5. */
    negativeOffset: weight01.default(0.5),
    /**
     * Intent or contact classes that news, warnings and police reports mention as often as shops do
     * (dead drops; the name Telegram alone): they count as sale intent, but do not offset negative
     * context. Default `[dead-drop]`; the bundled lexicons add `messenger-name`.
     */
    reportedClasses: z.array(z.string()).default(['dead-drop']),
    /**
     * Negative classes that name what a listing sells (salt, a pipe, a steroid, a book): on a
     * marketplace, a listing sold by weight that names no substance but one of these is not an
     * unnamed drug (`soldByWeight`). A negative term with `explains` counts too.
     */
    goodsClasses: z
      .array(z.string())
      .default([
        'innocent',
        'other-goods',
        'paraphernalia',
        'info-product',
        'chemical',
        'merchandise',
        'hemp',
        'medical',
      ]),
    /** Substance matches up to this weight can be explained away by a negative term's `explains`. Default 0.6. */
    explainMaxWeight: weight01.default(0.6),
    /** Default weight of terms that set none, per group. */
    defaultWeights: z
      .object({
        substance: weight01.default(0.8),
        intent: weight01.default(0.5),
        contact: weight01.default(0.4),
        payment: weight01.default(0.4),
        recruitment: weight01.default(0.5),
        negative: weight01.default(0.5),
      })
      .strict()
      .default({ substance: 0.8, intent: 0.5, contact: 0.4, payment: 0.4, recruitment: 0.5, negative: 0.5 }),
  })
  .strict();
export type Scoring = z.output<typeof scoringSchema>;

/** The longest unit, currency or multiplier: the word after a number is read that far and no further. */
export const MAX_QUANTITY_WORD = 32;
const quantityWord = z.string().trim().min(1).max(MAX_QUANTITY_WORD);

/** Words that turn a number into a quantity or a price. */
export const quantitiesSchema = z
  .object({
    /** Units of weight or dose after a number: `g`, `гр`, `kg`, `mg`, `ug`, `oz`, `tabs`, `克`... */
    units: z.array(quantityWord).default([]),
    /** Units that only count pieces (`x`, `pcs`, `шт`, `dona`): a quantity, but not "sold by weight". */
    countUnits: z.array(quantityWord).default([]),
    /** Currencies after a number or symbol before/after it: `usd`, `руб`, `тг`, `сом`, `$`, `₽`, `元`... */
    currencies: z.array(quantityWord).default([]),
    /** Words between a number and its unit that multiply it: `k`, `тыс`, `ming`, `мың`, `ҳазор`. */
    multipliers: z.array(quantityWord).default([]),
  })
  .strict();

/** One lexicon file. All lists default to empty. */
export const lexiconFileSchema = z
  .object({
    /** What this file covers (free text). */
    description: z.string().optional(),
    /** Default `lang` of the terms in this file. Default `en`. */
    lang: lang.default('en'),
    /** Substances: names, street slang, emoji codes. Class decides the category. */
    substances: z.array(termSchema).default([]),
    /** Sale intent: offers, stock, wholesale, delivery, stealth, dead drops. */
    intent: z.array(termSchema).default([]),
    /** Contact channels: Telegram, Wickr, Session, Jabber, shop bots. */
    contact: z.array(termSchema).default([]),
    /** Payment: crypto, cards, e-wallets. */
    payment: z.array(termSchema).default([]),
    /** Drug-trade recruitment (couriers, "закладчики" wanted): its own lead kind. */
    recruitment: z.array(termSchema).default([]),
    /**
     * Negative context: news of seizures and arrests, police campaigns, harm reduction, medicine,
     * legal hemp, and innocent senses of slang (`bath salt`, `магнит на холодильник`). A negative
     * match also cancels any positive match it overlaps, so `соль для ванн` shields `соль` even with
     * weight 0.
     */
    negative: z.array(termSchema).default([]),
    /** Units, currencies and multipliers for quantities and prices (merged across files). */
    quantities: quantitiesSchema.optional(),
    /** Scoring parameters; at most one file may set them. */
    scoring: scoringSchema.optional(),
  })
  .strict();

/** One lexicon file after validation (defaults applied). */
export type LexiconFile = z.output<typeof lexiconFileSchema>;

/** Groups of terms in a lexicon file. */
export const TERM_GROUPS = ['substances', 'intent', 'contact', 'payment', 'recruitment', 'negative'] as const;
