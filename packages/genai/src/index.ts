// The GenAI field types and genAiOf live in @llmp/otlp (a leaf), so readers need not depend on this package.
export {
  emptyGenAiFields,
  type GenAiFields,
  genAiOf,
  plainValue,
  renderMessages,
  type SpanType,
  spanTypes,
} from '@llmp/otlp';
export { type GenAiProcessorConfig, genAiProcessorConfig, genAiProcessorFactory } from './genAiProcessor.ts';
export {
  type Convention,
  type NormalisationRule,
  normalisationRules,
  type RuleField,
} from './normalisationRules.ts';
export { type NormalisedSpan, normaliseSpan } from './normaliseSpan.ts';
export { type ModelPrice, modelPrice, priceFor, repositoryPrices } from './priceTable.ts';
export { spanCost } from './spanCost.ts';
