import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CompiledLexicons,
  classify,
  encodeWeights,
  type ModelManifest,
  modelVersion,
  summary,
  TextModel,
  TRAIN_DEFAULTS,
  type TrainRow,
  train,
} from '../../../src/classify/index.ts';
import { loadLexicons } from '../../../src/config/lexicons.ts';

/**
 * Whether negative context vetoes the model (`Stack.veto`) is chosen by training, out-of-fold. On a
 * market whose vendors sell reagent test kits and seeds beside their drugs, the words the lexicons
 * count as negative context ("test kit", "seeds") are sales there, and a veto would throw those
 * sales away; where the same words come with texts labelled no sale, the veto stays.
 */
const root = join(import.meta.dirname, '../../..');
let lex: CompiledLexicons;
beforeAll(async () => {
  lex = await loadLexicons(join(root, 'config/lexicons'), { models: false });
});

const DRUGS = ['mephedrone', 'MDMA', 'alpha-PVP', 'ketamine', '4-MMC', 'amphetamine'];
/** Texts whose negative context damps the lexicons' sale score to half or less. */
const KITS = (d: string) => [`Marquis reagent test kit for ${d}`, `${d} crystals, feminized seeds bonus`];
const SALES = (d: string) => [`${d} crystals 1g, stealth shipping`, `${d} 5g, ships in 24h`];
const HOBBY = [
  'quibbit kits for the garden club',
  'hand-knitted scarves, free catalogue',
  'vintage stamps lot',
];

function rows(kitsAreSales: boolean): TrainRow[] {
  const out: TrainRow[] = [];
  for (let v = 0; v < 30; v++) {
    const d = DRUGS[v % DRUGS.length]!;
    const group = `vendor${v}`;
    if (v % 3 === 2) for (const text of HOBBY) out.push({ text: `${text} #${v}`, label: false, group });
    else {
      for (const text of SALES(d)) out.push({ text, label: true, group });
      for (const text of KITS(d)) out.push({ text, label: kitsAreSales, group });
    }
  }
  return out;
}

function modelOf(
  t: ReturnType<typeof train>,
  stack = t.stack,
  context: 'marketplace' | 'web' = 'marketplace',
): CompiledLexicons {
  const manifest = {
    bits: TRAIN_DEFAULTS.bits,
    bias: t.bias,
    stack,
    threshold: t.threshold,
    context,
  } as ModelManifest;
  manifest.version = modelVersion(encodeWeights(t.weights), manifest);
  return { ...lex, models: { [context]: new TextModel(manifest, t.weights) } };
}

describe('the negative-context veto', () => {
  it('is dropped where the texts it would veto are sales, and those texts become leads', () => {
    const t = train(rows(true), lex, { context: 'marketplace' });
    expect(t.stack.veto).toBe(false);
    // Out-of-fold, every kit listing is a lead, and the veto would have lost them all.
    const kits = t.oof.filter(
      (_, i) => rows(true)[i]!.text.includes('seeds') || rows(true)[i]!.text.includes('kit for'),
    );
    expect(kits.length).toBe(40);
    expect(kits.every((q) => q.lead)).toBe(true);
    expect(t.metrics.stacked.f1).toBeGreaterThan(t.metrics.lexicon.f1);

    const text = 'Marquis reagent test kit for mephedrone';
    const c = classify(text, modelOf(t), { context: 'marketplace' });
    expect(c).toMatchObject({ lead: true, kind: 'sale', model: { vetoed: false } });
    // The same model with the veto (as a manifest written before the choice existed) throws it away.
    const { veto: _, ...older } = t.stack;
    const vetoed = classify(text, modelOf(t, older), { context: 'marketplace' });
    expect(vetoed).toMatchObject({
      lead: false,
      kind: null,
      model: { vetoed: true, vetoedBy: 'negative context' },
    });
    expect(summary(vetoed)).toMatch(/ {2}vetoed by negative context$/);
    expect(summary(c)).not.toContain('vetoed');
    expect(vetoed.score).toBeLessThan(lex.scoring.threshold);
  });

  it('stays where the texts it would veto are labelled no sale', () => {
    const t = train(rows(false), lex, { context: 'marketplace' });
    expect(t.stack.veto).toBe(true);
    const c = classify('Marquis reagent test kit for mephedrone', modelOf(t), { context: 'marketplace' });
    expect(c.lead).toBe(false);
  });

  it('is told apart from the innocent-sense veto, a choice of its own', () => {
    const t = train(rows(true), lex, { context: 'marketplace' });
    expect(t.stack.veto).toBe(false);
    // Bath salts, no substance named: an innocent sense accounts for the text.
    const salts = classify('Соли для ванн «высшего сорта» 1г — 3000₽, клады', modelOf(t), {
      context: 'marketplace',
    });
    expect(salts).toMatchObject({ lead: false, model: { vetoed: true, vetoedBy: 'innocent sense' } });
    expect(summary(salts)).toMatch(/ {2}vetoed by innocent sense$/);
  });
});

/**
 * The same choice for the innocent-sense veto (`Stack.innocent`): shops hide behind a legal cover
 * ("bath salts" sold by the gram with dead drops); where such texts are labelled sales, training
 * lets the model weigh them, and where they are labelled no sale, the veto stays.
 */
describe('the innocent-sense veto', () => {
  const COVER = (v: number) =>
    `Соли для ванн «высшего сорта» ${(v % 5) + 1}г — ${3000 + v * 100}₽, клады, пиши @cover${v}`;
  const BATH = (v: number) =>
    `Соль для ванн с лавандой, ${(v % 5) + 1} кг, ${300 + v * 10}₽, доставка по городу`;
  function shops(coversAreSales: boolean): TrainRow[] {
    const out: TrainRow[] = [];
    for (let v = 0; v < 30; v++) {
      const group = `shop${v}`;
      out.push({ text: COVER(v), label: coversAreSales, group }, { text: BATH(v), label: false, group });
      for (const text of SALES(DRUGS[v % DRUGS.length]!))
        out.push({ text: `${text} #${v}`, label: true, group });
    }
    return out;
  }

  it('is dropped where the texts it would veto are sales, and the model then weighs them', () => {
    const t = train(shops(true), lex, { context: 'web' });
    expect(t.stack.innocent).toBe(false);
    const cover = COVER(99);
    expect(classify(cover, lex).lead).toBe(false);
    expect(classify(cover, modelOf(t, t.stack, 'web'))).toMatchObject({
      lead: true,
      model: { vetoed: false },
    });
    expect(classify(BATH(99), modelOf(t, t.stack, 'web')).lead).toBe(false);
    // A manifest written before the choice existed keeps the veto.
    const { innocent: _, ...older } = t.stack;
    expect(classify(cover, modelOf(t, older, 'web'))).toMatchObject({
      lead: false,
      model: { vetoed: true, vetoedBy: 'innocent sense' },
    });
  });

  it('stays where they are labelled no sale', () => {
    expect(train(shops(false), lex, { context: 'web' }).stack.innocent).toBe(true);
  });
});

/**
 * The same choice for the lexicons' recruitment decision (`Stack.recruitment`): where texts the
 * lexicons read as recruitment are labelled no lead (complaints that quote the recruiters' spam),
 * training lets the model decide them; where they are labelled leads, the lexicons keep the say.
 */
describe('the lexicons’ recruitment decision', () => {
  const HIRING = (v: number) => `Требуются закладчики, оплата ${3000 + v * 100} в день, пиши @boss${v}`;
  const QUOTED = (v: number) =>
    `Админ, удали бота: пишет «требуются закладчики, оплата ${3000 + v * 100} в день». Это вербовка, пожаловался`;
  const SALE = (v: number) => `Мефедрон 1г ${3000 + v * 100}₽, закладки по городу, пиши @shop${v}`;
  const SOFA = (v: number) => `Продаю диван, ${3000 + v * 100}₽, доставка по городу`;
  function posts(complaintsAreLeads: boolean): TrainRow[] {
    const out: TrainRow[] = [];
    for (let v = 0; v < 30; v++) {
      const group = `chat${v}`;
      out.push({ text: HIRING(v), label: true, group }, { text: SALE(v), label: true, group });
      out.push({ text: QUOTED(v), label: complaintsAreLeads, group }, { text: SOFA(v), label: false, group });
    }
    return out;
  }
  const web = (t: ReturnType<typeof train>, stack = t.stack) => modelOf(t, stack, 'web');

  it('passes to the model where quoted recruitment is labelled no lead', () => {
    const t = train(posts(false), lex, { context: 'web' });
    expect(t.stack.recruitment).toBe(false);
    const complaint = QUOTED(99);
    expect(classify(complaint, lex).kind).toBe('recruitment');
    expect(classify(complaint, web(t))).toMatchObject({ lead: false, kind: null });
    // Real recruitment is still a lead, by the model, and still says so.
    expect(classify(HIRING(99), web(t))).toMatchObject({ lead: true, kind: 'recruitment' });
    // A manifest written before the choice existed keeps the lexicons' say.
    const { recruitment: _, ...older } = t.stack;
    expect(classify(complaint, web(t, older))).toMatchObject({ lead: true, kind: 'recruitment' });
  });

  it('names a lead the model alone makes by the side the lexicons lean to: hiring, or a sale', () => {
    // Courier ads (`работа курьером`, the usual cover for hiring dead-drop couriers) labelled leads:
    // the lexicons read some recruitment and no sale, under the line; the model makes them leads.
    const COURIER = (v: number) =>
      `Работа курьером, оплата каждый день ${3000 + v * 100}, пиши в телеграм @job${v}`;
    const SHISHKI = (v: number) => `Шишки, курьер привезёт, пиши, район ${v}`;
    const rows = posts(true);
    for (let v = 0; v < 30; v++)
      rows.push(
        { text: COURIER(v), label: true, group: `chat${v}` },
        { text: SHISHKI(v), label: true, group: `chat${v}` },
      );
    const t = train(rows, lex, { context: 'web' });
    expect(classify(COURIER(99), lex)).toMatchObject({ lead: false, kind: null });
    expect(classify(COURIER(99), web(t))).toMatchObject({ lead: true, kind: 'recruitment' });
    // A courier bringing cones reads as hiring too (`курьер`), but a text naming a substance sells it.
    expect(classify(SHISHKI(99), lex)).toMatchObject({ lead: false, kind: null });
    expect(classify(SHISHKI(99), web(t))).toMatchObject({ lead: true, kind: 'sale' });
  });

  it('stays with the lexicons where what they read as recruitment is labelled a lead', () => {
    const t = train(posts(true), lex, { context: 'web' });
    expect(t.stack.recruitment).toBe(true);
  });

  it('stays with the lexicons on a marketplace, whose listings are labelled by what they sell', () => {
    // A hiring ad labelled "no drug": on the web F1 would hand recruitment to the model.
    const rows = posts(false).map((r) => (r.text.startsWith('Требуются') ? { ...r, label: false } : r));
    expect(train(rows, lex, { context: 'web' }).stack.recruitment).toBe(false);
    const t = train(rows, lex, { context: 'marketplace' });
    expect(t.stack.recruitment).toBe(true);
    expect(classify(HIRING(99), modelOf(t), { context: 'marketplace' })).toMatchObject({
      lead: true,
      kind: 'recruitment',
    });
  });
});
