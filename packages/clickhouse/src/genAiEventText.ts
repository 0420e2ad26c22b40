import {
  genAiTextEvents,
  type LogBatch,
  genAiMessageEvents as messageEvents,
  renderMessages,
} from '@llmp/otlp';
import { anyValueText, attributeColumns } from './attributeColumns.ts';

/** A GenAI event record as otel_logs holds it (values as stored text: structured ones as JSON). */
export interface GenAiEventRecord {
  SpanId: string;
  EventName: string;
  Body: string;
  LogAttributes: Record<string, string>;
}

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

/** A message of an older per-message event in the 1.37+ shape: `{role, parts: [{type: 'text', content}]}`. */
function partsMessage(role: string, body: string): Record<string, unknown> {
  const value = parse(body);
  const message = isRecord(value) && isRecord(value.message) ? value.message : value;
  if (!isRecord(message)) return { role, parts: [{ type: 'text', content: String(message) }] };
  const content = message.content;
  return {
    role: typeof message.role === 'string' ? message.role : role,
    parts: content === undefined || content === null ? [] : [{ type: 'text', content }],
  };
}

/**
 * Each span's GenAI messages from its event records as the span attributes an instrumentation
 * capturing on the span would have set (`gen_ai.system_instructions`, `gen_ai.input.messages`,
 * `gen_ai.output.messages`, JSON text), for sinks that read them from spans (MLflow): the 1.37+
 * event's values as sent, the older per-message events as messages of the 1.37 shape.
 * @example genAiEventMessages(records).get(spanId)?.['gen_ai.input.messages'] // '[{"role":"user",…}]'
 */
export function genAiEventMessages(records: GenAiEventRecord[]): Map<string, Record<string, string>> {
  const bySpan = new Map<string, { details: Record<string, string>; input: unknown[]; output: unknown[] }>();
  for (const record of records) {
    let span = bySpan.get(record.SpanId);
    if (!span) {
      span = { details: {}, input: [], output: [] };
      bySpan.set(record.SpanId, span);
    }
    if (record.EventName === 'gen_ai.client.inference.operation.details') {
      for (const key of ['gen_ai.system_instructions', 'gen_ai.input.messages', 'gen_ai.output.messages']) {
        const value = record.LogAttributes[key];
        if (value) span.details[key] ??= value;
      }
    } else if (record.EventName === 'gen_ai.choice') {
      span.output.push(partsMessage('assistant', record.Body));
    } else {
      const role = messageEvents[record.EventName];
      if (role) span.input.push(partsMessage(role, record.Body));
    }
  }
  const attributes = new Map<string, Record<string, string>>();
  for (const [spanId, span] of bySpan) {
    const found = { ...span.details };
    if (span.input.length > 0) found['gen_ai.input.messages'] ??= JSON.stringify(span.input);
    if (span.output.length > 0) found['gen_ai.output.messages'] ??= JSON.stringify(span.output);
    if (Object.keys(found).length > 0) attributes.set(spanId, found);
  }
  return attributes;
}

/**
 * The GenAI messages of a log batch's event records in hand, by trace then span, as
 * genAiEventMessages gives them from otel_logs (values as the store would hold them): for a sink
 * reading the records before, or without, the store (the mlflow-exporter role reads otlp_logs).
 * @example genAiRecordMessages(batch).get(traceId)?.get(spanId)?.['gen_ai.input.messages']
 */
export function genAiRecordMessages(batch: LogBatch): Map<string, Map<string, Record<string, string>>> {
  const byTrace = new Map<string, GenAiEventRecord[]>();
  for (const rl of batch.request.resourceLogs) {
    for (const sl of rl.scopeLogs) {
      for (const record of sl.logRecords) {
        if (record.traceId === '' || record.spanId === '' || !genAiTextEvents.includes(record.eventName))
          continue;
        const records = byTrace.get(record.traceId) ?? [];
        records.push({
          SpanId: record.spanId,
          EventName: record.eventName,
          Body: anyValueText(record.body),
          LogAttributes: attributeColumns(record.attributes).values,
        });
        byTrace.set(record.traceId, records);
      }
    }
  }
  const messages = new Map<string, Map<string, Record<string, string>>>();
  for (const [traceId, records] of byTrace) {
    const bySpan = genAiEventMessages(records);
    if (bySpan.size > 0) messages.set(traceId, bySpan);
  }
  return messages;
}
