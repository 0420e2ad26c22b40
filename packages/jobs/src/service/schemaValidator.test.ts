import { describe, expect, it } from 'vitest';
import { schemaValidator } from './schemaValidator.ts';
import { spanOutputText } from './spanOutputText.ts';

const schema = {
  type: 'object',
  required: ['summary', 'priority'],
  properties: { summary: { type: 'string' }, priority: { enum: ['low', 'high'] } },
};

describe('schemaValidator', () => {
  const validator = schemaValidator();
  it('passes JSON output that matches output_model', () => {
    expect(validator.check(schema, '{"summary":"ok","priority":"low"}')).toEqual({ valid: true });
  });
  it('fails with the first error otherwise', () => {
    expect(validator.check(schema, '{"summary":"ok"}')).toEqual({
      valid: false,
      error: "/ must have required property 'priority'",
    });
    expect(validator.check(schema, '{"summary":"ok","priority":"urgent"}')).toEqual({
      valid: false,
      error: '/priority must be equal to one of the allowed values',
    });
    expect(validator.check(schema, 'Sure! Here is the summary')).toEqual({
      valid: false,
      error: 'output is not JSON',
    });
    expect(validator.check({ type: 'nonsense' }, '{}', 'input')).toEqual({
      valid: false,
      error: expect.stringMatching(/^input_model is not a usable JSON Schema/),
    });
    expect(validator.check(schema, 'x', 'input')).toEqual({ valid: false, error: 'input is not JSON' });
  });
});

describe('spanOutputText', () => {
  const s = (key: string, value: string) => ({ key, value: { type: 'string' as const, value } });
  it('reads the conventions in order', () => {
    const messages = JSON.stringify([
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: '{"a":' },
          { type: 'text', content: '1}' },
        ],
      },
    ]);
    expect(spanOutputText([s('output.value', 'x'), s('gen_ai.output.messages', messages)])).toBe('{"a":1}');
    expect(spanOutputText([s('output.value', 'openinference')])).toBe('openinference');
    expect(spanOutputText([s('gen_ai.completion.0.content', 'openllmetry')])).toBe('openllmetry');
    expect(spanOutputText([s('ai.response.text', 'vercel')])).toBe('vercel');
    expect(spanOutputText([s('gen_ai.output.messages', 'not json')])).toBeUndefined();
    expect(spanOutputText([])).toBeUndefined();
  });
});
