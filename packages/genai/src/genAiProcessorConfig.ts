import { z } from 'zod';
import { modelPrice } from './priceTable.ts';

export const genAiProcessorConfig = z.object({
  /** Input and output text kept per span, in characters (the original attributes keep all). */
  maxTextChars: z.number().int().positive().max(1_048_576).default(65_536),
  /**
   * Prices that take precedence over the repository's table (src/prices.json) whenever one of
   * them matches a span's model: negotiated rates, fine-tuned or self-hosted models.
   */
  prices: z.array(modelPrice).max(10_000).default([]),
});

export type GenAiProcessorConfig = z.infer<typeof genAiProcessorConfig>;
