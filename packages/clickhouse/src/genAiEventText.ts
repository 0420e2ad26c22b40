import { renderMessages } from '@llmp/otlp';

/** A GenAI event record as otel_logs holds it (values as stored text: structured ones as JSON). */
export interface GenAiEventRecord {
  SpanId: string;
  EventName: string;
  Body: string;
  LogAttributes: Record<string, string>;
}

/** The older per-message events (GenAI semantic conventions before 1.37) and the role each speaks in. */
const messageEvents: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/** The events llmp reads text from, for the read's filter. */
export const genAiTextEvents = [
  'gen_ai.client.inference.operation.details',
  'gen_ai.choice',
  ...Object.keys(messageEvents),
];

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** `{role, content}` of a per-message event body, role from the event name when the body has none. */
function eventMessage(role: string, body: string): Record<string, unknown> {
  const value = parse(body);
  return isRecord(value) ? { role, ...value } : { role, content: value };
}

/**
 * The input and output text of each span from its GenAI event records: the 1.37+ event
 * `gen_ai.client.inference.operation.details` (`gen_ai.system_instructions`, `gen_ai.input.messages`,
 * `gen_ai.output.messages`), or the older per-message events (`gen_ai.user.message` … and
 * `gen_ai.choice`), rendered as the span's own message attributes are. Records in time order.
 * @example genAiEventText(records).get(spanId)?.input // 'system: be brief\nuser: hi'
 */
export function genAiEventText(
  records: GenAiEventRecord[],
  maxChars = 65_536,
): Map<string, { input: string; output: string }> {
  const bySpan = new Map<
    string,
    { input: unknown[]; output: unknown[]; inputText: string[]; outputText: string[] }
  >();
  for (const record of records) {
    let span = bySpan.get(record.SpanId);
    if (!span) {
      span = { input: [], output: [], inputText: [], outputText: [] };
      bySpan.set(record.SpanId, span);
    }
    const attributes = record.LogAttributes;
    if (record.EventName === 'gen_ai.client.inference.operation.details') {
      const system = attributes['gen_ai.system_instructions'];
      if (system) {
        const parts = parse(system);
        span.inputText.push(
          renderMessages([{ role: 'system', parts: Array.isArray(parts) ? parts : [parts] }]),
        );
      }
      if (attributes['gen_ai.input.messages'])
        span.inputText.push(renderMessages(attributes['gen_ai.input.messages']));
      if (attributes['gen_ai.output.messages'])
        span.outputText.push(renderMessages(attributes['gen_ai.output.messages']));
    } else if (record.EventName === 'gen_ai.choice') {
      const choice = parse(record.Body);
      const message = isRecord(choice) && isRecord(choice.message) ? choice.message : choice;
      span.output.push(
        isRecord(message) ? { role: 'assistant', ...message } : { role: 'assistant', content: message },
      );
    } else {
      const role = messageEvents[record.EventName];
      if (role) span.input.push(eventMessage(role, record.Body));
    }
  }
  const texts = new Map<string, { input: string; output: string }>();
  for (const [spanId, span] of bySpan) {
    const input = [...span.inputText, ...(span.input.length > 0 ? [renderMessages(span.input)] : [])].join(
      '\n',
    );
    const output = [
      ...span.outputText,
      ...(span.output.length > 0 ? [renderMessages(span.output)] : []),
    ].join('\n');
    texts.set(spanId, { input: input.slice(0, maxChars), output: output.slice(0, maxChars) });
  }
  return texts;
}
