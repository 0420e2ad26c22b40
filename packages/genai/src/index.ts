export { emptyGenAiFields, type GenAiFields, type SpanType, spanTypes } from './genAiFields.ts';
export { type GenAiProcessorConfig, genAiProcessorConfig, genAiProcessorFactory } from './genAiProcessor.ts';
export {
  type Convention,
  type NormalisationRule,
  normalisationRules,
  type RuleField,
} from './normalisationRules.ts';
export { genAiOf, type NormalisedBatch } from './normalisedBatch.ts';
export { type NormalisedSpan, normaliseSpan } from './normaliseSpan.ts';
export { type ModelPrice, modelPrice, priceFor, repositoryPrices } from './priceTable.ts';
export { plainValue, renderMessages } from './renderMessages.ts';
export { spanCost } from './spanCost.ts';
