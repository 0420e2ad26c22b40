import type { AnyValue, KeyValue, LogBatch } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { genAiEventText, genAiRecordMessages } from './genAiEventText.ts';

describe('genAiEventText', () => {
  it('renders the operation details event with structured messages and system instructions', () => {
    const texts = genAiEventText([
      {
        SpanId: 'a',
        EventName: 'gen_ai.client.inference.operation.details',
        Body: '',
        LogAttributes: {
          'gen_ai.system_instructions': '[{"type":"text","content":"be brief"}]',
          'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
          'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]',
        },
      },
    ]);
    expect(texts.get('a')).toEqual({ input: 'system: be brief\nuser: hi', output: 'assistant: hello' });
  });

  it('renders the older per-message events in order, the answer from gen_ai.choice', () => {
    const texts = genAiEventText([
      { SpanId: 'b', EventName: 'gen_ai.user.message', Body: '{"content":"weather?"}', LogAttributes: {} },
      {
        SpanId: 'b',
        EventName: 'gen_ai.choice',
        Body: '{"index":0,"message":{"content":"sunny"}}',
        LogAttributes: {},
      },
      { SpanId: 'b', EventName: 'gen_ai.tool.message', Body: 'plain text', LogAttributes: {} },
    ]);
    expect(texts.get('b')).toEqual({ input: 'user: weather?\ntool: plain text', output: 'assistant: sunny' });
  });
});

describe('genAiRecordMessages', () => {
  const record = (
    eventName: string,
    spanId: string,
    attributes: KeyValue[],
    body: AnyValue = { type: 'empty' },
  ) => ({
    timeUnixNano: 1n,
    observedTimeUnixNano: 1n,
    severityNumber: 0,
    severityText: '',
    body,
    attributes,
    droppedAttributesCount: 0,
    flags: 1,
    traceId: 'a'.repeat(32),
    spanId,
    eventName,
  });

  it('gives the messages of the records in hand by trace then span, structured values as JSON text', () => {
    const input: AnyValue = {
      type: 'array',
      value: [{ type: 'kvlist', value: [{ key: 'role', value: { type: 'string', value: 'user' } }] }],
    };
    const batch = {
      projectId: 'default',
      logRecordCount: 3,
      request: {
        resourceLogs: [
          {
            resource: { attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            scopeLogs: [
              {
                scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
                schemaUrl: '',
                logRecords: [
                  record('gen_ai.client.inference.operation.details', '1'.repeat(16), [
                    { key: 'gen_ai.input.messages', value: input },
                  ]),
                  record('gen_ai.choice', '2'.repeat(16), [], { type: 'string', value: 'hi' }),
                  // Not a GenAI text event, or outside a span: no messages.
                  record('app.event', '3'.repeat(16), [{ key: 'gen_ai.input.messages', value: input }]),
                  record('gen_ai.choice', '', [], { type: 'string', value: 'lost' }),
                ],
              },
            ],
          },
        ],
      },
    } as unknown as LogBatch;
    const messages = genAiRecordMessages(batch).get('a'.repeat(32));
    expect([...(messages?.keys() ?? [])]).toEqual(['1'.repeat(16), '2'.repeat(16)]);
    expect(JSON.parse(messages!.get('1'.repeat(16))!['gen_ai.input.messages']!)).toEqual([{ role: 'user' }]);
    expect(JSON.parse(messages!.get('2'.repeat(16))!['gen_ai.output.messages']!)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'hi' }] },
    ]);
  });
});
