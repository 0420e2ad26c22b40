import type { AnyValue, KeyValue } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { normaliseSpan } from './normaliseSpan.ts';

const str = (value: string): AnyValue => ({ type: 'string', value });
const int = (value: bigint): AnyValue => ({ type: 'int', value });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

describe('normaliseSpan', () => {
  it('gives empty fields and span type other for a span with no GenAI attributes', () => {
    expect(normaliseSpan([kv('http.request.method', str('GET'))])).toEqual({
      spanType: 'other',
      operation: '',
      provider: '',
      requestModel: '',
      responseModel: '',
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      inputText: '',
      outputText: '',
      sessionId: '',
      userId: '',
      providedCost: null,
    });
  });

  it('reads a kind named like an object property (constructor, __proto__, toString) as unknown', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      for (const key of ['gen_ai.operation.name', 'openinference.span.kind', 'traceloop.span.kind']) {
        const fields = normaliseSpan([kv(key, str(name))]);
        expect(fields.spanType).toBe('other');
      }
    }
  });

  it('prefers the current OpenTelemetry names over deprecated and other conventions', () => {
    const fields = normaliseSpan([
      kv('llm.token_count.prompt', int(1n)),
      kv('gen_ai.usage.prompt_tokens', int(2n)),
      kv('gen_ai.usage.input_tokens', int(3n)),
      kv('gen_ai.system', str('old')),
      kv('gen_ai.provider.name', str('new')),
      kv('openinference.span.kind', str('CHAIN')),
      kv('gen_ai.operation.name', str('chat')),
    ]);
    expect(fields).toMatchObject({ inputTokens: 3, provider: 'new', spanType: 'llm' });
  });

  it('falls through to the next rule when a value is unusable', () => {
    const fields = normaliseSpan([
      kv('gen_ai.usage.input_tokens', str('many')),
      kv('gen_ai.usage.prompt_tokens', int(-1n)),
      kv('llm.token_count.prompt', int(9n)),
      kv('gen_ai.request.model', str('   ')),
      kv('llm.model_name', str('m')),
      kv('gen_ai.operation.name', str('something_new')),
      kv('gen_ai.usage.cost', str('free')),
      kv('llm.cost.total', { type: 'double', value: -1 }),
    ]);
    expect(fields).toMatchObject({ inputTokens: 9, requestModel: 'm', spanType: 'llm', providedCost: null });
  });

  it('uses the last occurrence of a repeated attribute', () => {
    expect(
      normaliseSpan([kv('gen_ai.request.model', str('first')), kv('gen_ai.request.model', str('second'))])
        .requestModel,
    ).toBe('second');
  });

  it('infers an llm span from a model when no convention names the kind', () => {
    expect(normaliseSpan([kv('gen_ai.response.model', str('x'))]).spanType).toBe('llm');
    expect(normaliseSpan([kv('gen_ai.usage.input_tokens', int(5n))]).spanType).toBe('other');
  });

  it('mixes conventions field by field on one span', () => {
    const fields = normaliseSpan([
      kv('openinference.span.kind', str('LLM')),
      kv('gen_ai.request.model', str('gpt-4o')),
      kv('llm.provider', str('openai')),
      kv('ai.usage.completionTokens', int(11n)),
      kv('llm.token_count.prompt', int(100n)),
      kv('traceloop.association.properties.user_id', str('u')),
      kv('session.id', str('s')),
    ]);
    expect(fields).toMatchObject({
      spanType: 'llm',
      requestModel: 'gpt-4o',
      provider: 'openai',
      inputTokens: 100,
      outputTokens: 11,
      userId: 'u',
      sessionId: 's',
    });
  });

  it('cuts texts at maxTextChars and renders structured attribute values', () => {
    const fields = normaliseSpan(
      [
        kv('input.value', str('x'.repeat(100))),
        kv('gen_ai.output.messages', {
          type: 'array',
          value: [
            {
              type: 'kvlist',
              value: [
                kv('role', str('assistant')),
                kv('parts', {
                  type: 'array',
                  value: [{ type: 'kvlist', value: [kv('type', str('text')), kv('content', str('ok'))] }],
                }),
              ],
            },
          ],
        }),
      ],
      { maxTextChars: 20 },
    );
    expect(fields.inputText).toBe('x'.repeat(20));
    expect(fields.outputText).toBe('assistant: ok');
  });

  it('keeps malformed JSON messages as the text that was sent', () => {
    expect(normaliseSpan([kv('gen_ai.input.messages', str('[{"role": "user", '))]).inputText).toBe(
      '[{"role": "user", ',
    );
    expect(normaliseSpan([kv('gen_ai.input.messages', str('[1,2]'))]).inputText).toBe('[1,2]');
  });

  it('ignores huge or non-integer token counts instead of storing garbage', () => {
    expect(normaliseSpan([kv('gen_ai.usage.input_tokens', int(2n ** 62n))]).inputTokens).toBe(0);
    expect(
      normaliseSpan([kv('gen_ai.usage.input_tokens', { type: 'double', value: Number.NaN })]).inputTokens,
    ).toBe(0);
    expect(normaliseSpan([kv('gen_ai.usage.input_tokens', { type: 'bool', value: true })]).inputTokens).toBe(
      0,
    );
  });
});
