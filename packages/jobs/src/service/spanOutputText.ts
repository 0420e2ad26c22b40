import type { KeyValue } from '@llmp/otlp';

function stringAt(attributes: KeyValue[], key: string): string | undefined {
  for (let i = attributes.length - 1; i >= 0; i--) {
    const kv = attributes[i]!;
    if (kv.key === key && kv.value.type === 'string' && kv.value.value !== '') return kv.value.value;
  }
  return undefined;
}

/** The text of the last message of OpenTelemetry GenAI `gen_ai.output.messages` (JSON). */
function lastMessageText(json: string): string | undefined {
  try {
    const messages = JSON.parse(json) as Array<{ parts?: Array<{ type?: string; content?: unknown }> }>;
    const parts = Array.isArray(messages) ? messages.at(-1)?.parts : undefined;
    const texts = (parts ?? []).filter((p) => p.type === 'text' && typeof p.content === 'string');
    return texts.length ? texts.map((p) => p.content as string).join('') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The output text of an LLM span, from the conventions apps use: OpenTelemetry GenAI
 * (`gen_ai.output.messages`), OpenInference (`output.value`), OpenLLMetry
 * (`gen_ai.completion.0.content`), the Vercel AI SDK (`ai.response.text`).
 * @example spanOutputText(span.attributes) // '{"summary":"…"}'
 */
export function spanOutputText(attributes: KeyValue[]): string | undefined {
  const messages = stringAt(attributes, 'gen_ai.output.messages');
  const fromMessages = messages === undefined ? undefined : lastMessageText(messages);
  return (
    fromMessages ??
    stringAt(attributes, 'output.value') ??
    stringAt(attributes, 'gen_ai.completion.0.content') ??
    stringAt(attributes, 'ai.response.text')
  );
}
