import type { GenAiFields } from '@llmp/otlp';
import type { NormalisedSpan } from './normaliseSpan.ts';
import { type ModelPrice, priceFor } from './priceTable.ts';

type Cost = Pick<GenAiFields, 'costUsd' | 'costSource' | 'priceId'>;
type Pricing = { prices: readonly ModelPrice[]; overrides?: readonly ModelPrice[] };

/** Prices found, per pricing object (a processor's), by provider, model and day: at most maxLookups. */
const lookups = new WeakMap<Pricing, Map<string, ModelPrice | null>>();
const maxLookups = 10_000;

/** priceFor, remembered: it scans the whole table, for every LLM span (issue 21). */
function cachedPrice(pricing: Pricing, model: string, provider: string, day: string): ModelPrice | undefined {
  let cache = lookups.get(pricing);
  if (!cache) {
    cache = new Map();
    lookups.set(pricing, cache);
  }
  const key = `${provider}\n${model}\n${day}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const price = priceFor({
    prices: pricing.prices,
    overrides: pricing.overrides ?? [],
    model,
    provider,
    day,
  });
  // Model names come from senders: a bounded cache, started afresh when full.
  if (cache.size >= maxLookups) cache.clear();
  cache.set(key, price ?? null);
  return price;
}

/** The UTC day of the last start time asked for, as `YYYY-MM-DD`: spans of a batch mostly share one. */
let lastDayNumber = Number.NaN;
let lastDay = '';
const dayMs = 86_400_000;

function dayOf(startTimeUnixNano: bigint): string {
  const ms = Number(startTimeUnixNano / 1_000_000n);
  const dayNumber = Math.floor(ms / dayMs);
  if (dayNumber !== lastDayNumber) {
    lastDay = new Date(ms).toISOString().slice(0, 10);
    lastDayNumber = dayNumber;
  }
  return lastDay;
}

/**
 * What a span cost. A cost the app sent wins (its attribute is recorded); otherwise the dated
 * price of its response model (else request model) on the day it started, applied to its
 * tokens: uncached input, cache reads, cache writes and output (which includes reasoning).
 * @example spanCost(normaliseSpan(span.attributes), span.startTimeUnixNano, { prices })
 */
export function spanCost(fields: NormalisedSpan, startTimeUnixNano: bigint, pricing: Pricing): Cost {
  if (fields.providedCost) {
    return { costUsd: fields.providedCost.usd, costSource: 'provided', priceId: fields.providedCost.key };
  }
  const none: Cost = { costUsd: null, costSource: '', priceId: '' };
  const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = fields;
  if (inputTokens === 0 && outputTokens === 0) return none;
  const day = dayOf(startTimeUnixNano);
  const price =
    cachedPrice(pricing, fields.responseModel, fields.provider, day) ??
    cachedPrice(pricing, fields.requestModel, fields.provider, day);
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
