import type { GenAiFields } from '@llmp/otlp';
import type { NormalisedSpan } from './normaliseSpan.ts';
import { type ModelPrice, priceFor } from './priceTable.ts';

type Cost = Pick<GenAiFields, 'costUsd' | 'costSource' | 'priceId'>;

/**
 * What a span cost. A cost the app sent wins (its attribute is recorded); otherwise the dated
 * price of its response model (else request model) on the day it started, applied to its
 * tokens: uncached input, cache reads, cache writes and output (which includes reasoning).
 * @example spanCost(normaliseSpan(span.attributes), span.startTimeUnixNano, { prices })
 */
export function spanCost(
  fields: NormalisedSpan,
  startTimeUnixNano: bigint,
  { prices, overrides = [] }: { prices: readonly ModelPrice[]; overrides?: readonly ModelPrice[] },
): Cost {
  if (fields.providedCost) {
    return { costUsd: fields.providedCost.usd, costSource: 'provided', priceId: fields.providedCost.key };
  }
  const none: Cost = { costUsd: null, costSource: '', priceId: '' };
  const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = fields;
  if (inputTokens === 0 && outputTokens === 0) return none;
  const day = new Date(Number(startTimeUnixNano / 1_000_000n)).toISOString().slice(0, 10);
  const lookup = (model: string) => priceFor({ prices, overrides, model, provider: fields.provider, day });
  const price = lookup(fields.responseModel) ?? lookup(fields.requestModel);
  if (!price) return none;
  const uncached = Math.max(0, inputTokens - cacheReadTokens - cacheWriteTokens);
  const usd =
    (uncached * price.input +
      cacheReadTokens * (price.cacheRead ?? price.input) +
      cacheWriteTokens * (price.cacheWrite ?? price.input) +
      outputTokens * price.output) /
    1_000_000;
  return { costUsd: usd, costSource: 'price', priceId: price.id };
}
