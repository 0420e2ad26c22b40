import type { Span, TraceBatch } from '@llmp/otlp';
import type { GenAiFields } from './genAiFields.ts';

/**
 * A batch after the `genai` processor: the same OTLP data, untouched, plus the canonical fields
 * of each span, keyed by the span object of `request()` (a batch decodes once, so the key is
 * stable). Exporters that know GenAI read it; others see a plain TraceBatch.
 */
export interface NormalisedBatch extends TraceBatch {
  readonly genAi: ReadonlyMap<Span, GenAiFields>;
}

/**
 * The canonical fields of a span, if the batch went through the `genai` processor.
 * @example const fields = genAiOf(batch, span) ?? emptyGenAiFields();
 */
export function genAiOf(batch: TraceBatch, span: Span): GenAiFields | undefined {
  return (batch as Partial<NormalisedBatch>).genAi?.get(span);
}
