import { z } from 'zod';
import table from './prices.json' with { type: 'json' };

/** One dated price: USD per 1,000,000 tokens of each kind, from `effectiveFrom` on. */
export const modelPrice = z.object({
  /** Recorded on each row the price applied to (`gen_ai_price_id`). */
  id: z.string().min(1),
  /** Provider as normalised (lower case, e.g. `openai`); empty matches any provider. */
  provider: z.string().default(''),
  /** An exact model name, or a prefix ending in `*`. */
  model: z.string().regex(/^[^*]+\*?$/, 'an exact model name or a prefix ending in *'),
  effectiveFrom: z.iso.date(),
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  /** Cache reads and writes; absent means the input price. */
  cacheRead: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});

export type ModelPrice = z.infer<typeof modelPrice>;

/**
 * The price table kept in the repository (src/prices.json), validated.
 * @example const prices = repositoryPrices();
 */
export function repositoryPrices(): ModelPrice[] {
  return z.array(modelPrice).parse(table.prices);
}

function modelMatch(pattern: string, model: string): number {
  if (pattern.endsWith('*')) return model.startsWith(pattern.slice(0, -1)) ? pattern.length - 1 : -1;
  // An exact name beats every prefix.
  return pattern === model ? Number.MAX_SAFE_INTEGER : -1;
}

/**
 * The price for a model on a day: among entries whose model and provider match and that took
 * effect by then, the most specific model pattern, then the latest date. Entries of `overrides`
 * (config) are searched first and win whenever one of them matches.
 * @example priceFor({ prices, model: 'gpt-4o-2024-08-06', provider: 'openai', day: '2025-01-01' })?.id
 */
export function priceFor({
  prices,
  overrides = [],
  model,
  provider,
  day,
}: {
  prices: readonly ModelPrice[];
  overrides?: readonly ModelPrice[];
  model: string;
  provider: string;
  /** `YYYY-MM-DD` (UTC) of the span's start. */
  day: string;
}): ModelPrice | undefined {
  if (model === '') return undefined;
  for (const list of [overrides, prices]) {
    let best: { price: ModelPrice; score: number } | undefined;
    for (const price of list) {
      if (price.effectiveFrom > day) continue;
      if (price.provider !== '' && provider !== '' && price.provider !== provider) continue;
      const score = modelMatch(price.model, model);
      if (score < 0) continue;
      if (
        !best ||
        score > best.score ||
        (score === best.score && price.effectiveFrom > best.price.effectiveFrom)
      ) {
        best = { price, score };
      }
    }
    if (best) return best.price;
  }
  return undefined;
}
