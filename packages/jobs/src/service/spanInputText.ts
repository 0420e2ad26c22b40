import type { KeyValue } from '@llmp/otlp';

/**
 * The job input a span reports, as JSON text: `llmp.job.input` (the values of the job's prompt
 * variables). LLM request attributes (prompts, messages) are not the job's input, so they are
 * not read here.
 * @example spanInputText(span.attributes) // '{"ticket":"…"}'
 */
export function spanInputText(attributes: KeyValue[]): string | undefined {
  for (let i = attributes.length - 1; i >= 0; i--) {
    const kv = attributes[i]!;
    if (kv.key === 'llmp.job.input' && kv.value.type === 'string' && kv.value.value !== '')
      return kv.value.value;
  }
  return undefined;
}
