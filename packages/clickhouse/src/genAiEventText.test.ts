import { describe, expect, it } from 'vitest';
import { genAiEventText } from './genAiEventText.ts';

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
