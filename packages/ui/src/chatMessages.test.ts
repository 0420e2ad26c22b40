import { describe, expect, it } from 'vitest';
import { chatMessages } from './chatMessages.ts';

describe('chatMessages', () => {
  it('reads the OpenTelemetry GenAI parts, tool calls included', () => {
    const attributes = {
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [
            { type: 'text', content: 'Looking it up.' },
            { type: 'tool_call', id: 'c1', name: 'lookup', arguments: { id: 7 } },
          ],
        },
      ]),
    };
    expect(chatMessages(attributes, 'gen_ai.output.messages', '')).toEqual([
      {
        role: 'assistant',
        text: 'Looking it up.',
        toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{\n  "id": 7\n}' }],
      },
    ]);
  });

  it('reads the older { role, content, tool_calls } shape', () => {
    const value = [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'x', function: { name: 'f', arguments: '{}' } }],
      },
    ];
    expect(chatMessages({ k: value }, 'k', '')[0]!.toolCalls).toEqual([
      { id: 'x', name: 'f', arguments: '{}' },
    ]);
  });

  it('falls back to the stored role: text lines, continuing multi-line messages', () => {
    expect(chatMessages({}, 'gen_ai.input.messages', 'system: be brief\nuser: hi\nsecond line')).toEqual([
      { role: 'system', text: 'be brief', toolCalls: [] },
      { role: 'user', text: 'hi\nsecond line', toolCalls: [] },
    ]);
  });
});
