import type { AnyValue, KeyValue } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { normalisationRules } from './normalisationRules.ts';
import { normaliseSpan, readsGenAi } from './normaliseSpan.ts';

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

  it('reads the agent, tool and workflow operations of the GenAI conventions as span types', () => {
    const typeOf = (operation: string) =>
      normaliseSpan([kv('gen_ai.operation.name', str(operation))]).spanType;
    expect(
      ['invoke_agent', 'create_agent', 'execute_tool', 'invoke_workflow', 'retrieval'].map(typeOf),
    ).toEqual(['agent', 'agent', 'tool', 'chain', 'retriever']);
  });

  it('falls through to the next rule when a value is unusable', () => {
    const fields = normaliseSpan([
      kv('gen_ai.usage.input_tokens', str('many')),
      kv('gen_ai.usage.prompt_tokens', int(-1n)),
      kv('llm.token_count.prompt', int(9n)),
      kv('gen_ai.request.model', str('   ')),
      kv('llm.invocation_parameters', str('{"model": 42}')),
      kv('embedding.model_name', str('m')),
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

const strings = (o: Record<string, string>): KeyValue[] => Object.entries(o).map(([k, v]) => kv(k, str(v)));

// Attributes as openinference-instrumentation-openai 0.1.66 (Python) sets them on a
// chat.completions call answered with a tool call, then on the call that sends the tool's result.
const openInferenceToolCall = strings({
  'llm.system': 'openai',
  'input.value':
    '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Weather in Paris?"}], "temperature": 0}',
  'input.mime_type': 'application/json',
  'output.value':
    '{"id":"chatcmpl-1","choices":[{"finish_reason":"tool_calls","index":0,"message":{"content":null,"role":"assistant","tool_calls":[{"id":"call_1","function":{"arguments":"{\\"city\\": \\"Paris\\"}","name":"get_weather"},"type":"function"}]}}],"model":"gpt-4o-mini-2024-07-18"}',
  'output.mime_type': 'application/json',
  'llm.invocation_parameters': '{"model": "gpt-4o-mini", "temperature": 0}',
  'llm.input_messages.0.message.role': 'user',
  'llm.input_messages.0.message.content': 'Weather in Paris?',
  'llm.model_name': 'gpt-4o-mini-2024-07-18',
  'llm.output_messages.0.message.role': 'assistant',
  'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_1',
  'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'get_weather',
  'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"city": "Paris"}',
  'llm.finish_reason': 'tool_calls',
  'openinference.span.kind': 'LLM',
});
const openInferenceToolResult = strings({
  'llm.invocation_parameters': '{"model": "gpt-4o-mini", "temperature": 0}',
  'llm.input_messages.0.message.role': 'user',
  'llm.input_messages.0.message.content': 'Weather in Paris?',
  'llm.input_messages.1.message.role': 'assistant',
  'llm.input_messages.1.message.tool_calls.0.tool_call.id': 'call_1',
  'llm.input_messages.1.message.tool_calls.0.tool_call.function.name': 'get_weather',
  'llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments': '{"city": "Paris"}',
  'llm.input_messages.2.message.role': 'tool',
  'llm.input_messages.2.message.tool_call_id': 'call_1',
  'llm.input_messages.2.message.content': 'sunny, 24C',
  'llm.model_name': 'gpt-4o-mini-2024-07-18',
  'llm.output_messages.0.message.role': 'assistant',
  'llm.output_messages.0.message.content': 'It is sunny in Paris.',
  'openinference.span.kind': 'LLM',
});

describe('tool calls and models as instrumentations send them', () => {
  it('reads OpenInference request and response models apart, and shows tool calls in and out', () => {
    expect(normaliseSpan(openInferenceToolCall)).toMatchObject({
      spanType: 'llm',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      inputText: 'user: Weather in Paris?',
      outputText: 'assistant: [tool_call get_weather {"city": "Paris"}]',
    });
    expect(normaliseSpan(openInferenceToolResult)).toMatchObject({
      inputText:
        'user: Weather in Paris?\nassistant: [tool_call get_weather {"city": "Paris"}]\ntool: sunny, 24C',
      outputText: 'assistant: It is sunny in Paris.',
    });
  });

  it('shows OpenLLMetry tool calls, several per message and with text, in index order', () => {
    const fields = normaliseSpan(
      strings({
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Weather in Paris and Rome?',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Checking.',
        'gen_ai.completion.0.tool_calls.1.name': 'get_weather',
        'gen_ai.completion.0.tool_calls.1.arguments': '{"city":"Rome"}',
        'gen_ai.completion.0.tool_calls.0.id': 'c0',
        'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
        'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Paris"}',
      }),
    );
    expect(fields.outputText).toBe(
      'assistant: Checking.\n[tool_call get_weather {"city":"Paris"}]\n[tool_call get_weather {"city":"Rome"}]',
    );
  });

  it('shows the tool calls of OpenAI-shaped JSON messages and of OpenTelemetry parts with their arguments', () => {
    const openAiShaped = normaliseSpan(
      strings({
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'snow' },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [{ type: 'tool_call', id: 'c2', name: 'get_time', arguments: { zone: 'CET' } }],
            finish_reason: 'tool_call',
          },
        ]),
      }),
    );
    expect(openAiShaped.inputText).toBe(
      'user: Weather?\nassistant: [tool_call get_weather {"city":"Oslo"}]\ntool: snow',
    );
    expect(openAiShaped.outputText).toBe('assistant: [tool_call get_time {"zone":"CET"}]');
  });

  it("fills a tool span's input and output from gen_ai.tool.call.arguments and .result", () => {
    expect(
      normaliseSpan(
        strings({
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'get_weather',
          'gen_ai.tool.call.arguments': '{"city":"Paris"}',
          'gen_ai.tool.call.result': 'sunny, 24C',
        }),
      ),
    ).toMatchObject({ spanType: 'tool', inputText: '{"city":"Paris"}', outputText: 'sunny, 24C' });
  });

  it('reads nothing of attributes readsGenAi passes over: the fields of no attributes', () => {
    const ruleKeys = normalisationRules.flatMap((rule) =>
      rule.read === 'indexedMessages'
        ? [`${rule.prefix}0${rule.content}`, `${rule.prefix}1${rule.role}`]
        : [rule.key],
    );
    const others = ['gen_ai', 'llm.', 'http.method', 'service.name', 'input', 'a.b.c', '', 'gen_ai.x'];
    const values: AnyValue[] = [str('gpt-4o'), str('12'), str(''), int(7n), { type: 'double', value: 3.5 }];
    const none = normaliseSpan([]);
    // Every key alone and in pairs with each non-rule key (a seeded walk, not every pair).
    let seed = 20261205;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let passedOver = 0;
    for (let run = 0; run < 3000; run++) {
      const attributes = Array.from({ length: 1 + next(4) }, () =>
        kv(
          next(3) === 0 ? ruleKeys[next(ruleKeys.length)]! : others[next(others.length)]!,
          values[next(values.length)]!,
        ),
      );
      const reads = readsGenAi(attributes);
      if (attributes.some((a) => ruleKeys.includes(a.key))) expect(reads).toBe(true);
      if (reads) continue;
      passedOver++;
      expect(normaliseSpan(attributes)).toEqual(none);
    }
    expect(passedOver).toBeGreaterThan(100);
  });
});
