/**
 * The classifier: a pure function from text to a scored, explained decision. Knows nothing of
 * queues, HTTP or storage. Compile lexicons once (`compileLexicons`), then `classify` many texts.
 */
export { classify, type ClassifyOptions } from './classify.ts';
export { type CompileOptions, compileLexicons } from './compile.ts';
export {
  type EvalOptions,
  type EvalResult,
  type EvalRow,
  evaluate,
  evaluateBy,
  type GroupResult,
  prAuc,
  type TermCount,
} from './eval.ts';
export {
  ansiMarker,
  bracketMarker,
  type CompactReason,
  compactReasons,
  expandReasons,
  formatReasons,
  highlight,
  MORE_SPANS,
  type Marker,
  scoreText,
  summary,
} from './explain.ts';
export {
  CATEGORIES,
  CLASS_CATEGORY,
  type LexiconFile,
  lexiconFileSchema,
  scoringSchema,
  type Scoring,
} from './lexicon-schema.ts';
export { normaliseText, originalSpan } from './normalise.ts';
export type {
  Category,
  Classification,
  CompiledLexicons,
  CompiledTerm,
  Reason,
  ReasonGroup,
  SiteContext,
} from './types.ts';
export { formKeys } from './compile.ts';
export { type Token, tokenise } from './tokenise.ts';
export { stemEn, stemRu } from './stem.ts';
export { cyrToLat, latToCyr } from './fold.ts';
export { commonWordLangs } from './common-words.ts';
export {
  formatFinding,
  LEXICON_LANGS,
  type LintCode,
  type LintFinding,
  type LintInput,
  type LintResult,
  type LintSeverity,
  lintLexicons,
  yamlErrorOffset,
} from './lint.ts';
export { lexiconLayer } from './classify.ts';
export type { LexiconLayer, ModelVerdict, TokenRun } from './types.ts';
export {
  type BinaryMetrics,
  type CalibrationBin,
  decodeWeights,
  encodeWeights,
  MODEL_FORMAT,
  type ModelManifest,
  manifestSchema,
  modelVersion,
  SparseWeights,
  TextModel,
} from './model/model.ts';
export {
  choosesRecruitment,
  oofBy,
  TRAIN_DEFAULTS,
  type TrainOptions,
  type TrainResult,
  type TrainRow,
  train,
} from './model/train.ts';
export { VETO_DAMP } from './model/combine.ts';
