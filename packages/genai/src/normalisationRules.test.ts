import type { AnyValue, KeyValue } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { normalisationRules } from './normalisationRules.ts';
import { type NormalisedSpan, normaliseSpan } from './normaliseSpan.ts';

const str = (value: string): AnyValue => ({ type: 'string', value });
const int = (value: number): AnyValue => ({ type: 'int', value: BigInt(value) });
const dbl = (value: number): AnyValue => ({ type: 'double', value });
const attrs = (o: Record<string, AnyValue>): KeyValue[] =>
  Object.entries(o).map(([key, value]) => ({ key, value }));

/** One case per rule: attributes that only this rule reads, and what it must produce. */
const cases: Record<string, [KeyValue[], Partial<NormalisedSpan>]> = {
  'otel.span_type': [attrs({ 'gen_ai.operation.name': str('embeddings') }), { spanType: 'embedding' }],
  'otel.operation': [attrs({ 'gen_ai.operation.name': str('chat') }), { operation: 'chat', spanType: 'llm' }],
  'otel.provider': [attrs({ 'gen_ai.provider.name': str('aws.bedrock') }), { provider: 'aws.bedrock' }],
  'otel.request_model': [attrs({ 'gen_ai.request.model': str('gpt-4o') }), { requestModel: 'gpt-4o' }],
  'otel.response_model': [
    attrs({ 'gen_ai.response.model': str('gpt-4o-2024-08-06') }),
    { responseModel: 'gpt-4o-2024-08-06' },
  ],
  'otel.input_tokens': [attrs({ 'gen_ai.usage.input_tokens': int(120) }), { inputTokens: 120 }],
  'otel.output_tokens': [attrs({ 'gen_ai.usage.output_tokens': int(30) }), { outputTokens: 30 }],
  'otel.cache_read_tokens': [
    attrs({ 'gen_ai.usage.cache_read.input_tokens': int(50) }),
    { cacheReadTokens: 50 },
  ],
  'otel.cache_write_tokens': [
    attrs({ 'gen_ai.usage.cache_creation.input_tokens': int(25) }),
    { cacheWriteTokens: 25 },
  ],
  'otel.reasoning_tokens': [
    attrs({ 'gen_ai.usage.reasoning.output_tokens': int(12) }),
    { reasoningTokens: 12 },
  ],
  'otel.input_messages': [
    attrs({
      'gen_ai.input.messages': str(
        '[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Weather?"}]}]',
      ),
    }),
    { inputText: 'system: Be brief.\nuser: Weather?' },
  ],
  'otel.output_messages': [
    attrs({
      'gen_ai.output.messages': str(
        '[{"role":"assistant","parts":[{"type":"tool_call","name":"get_weather","arguments":{}},{"type":"text","content":"Sunny"}],"finish_reason":"stop"}]',
      ),
    }),
    { outputText: 'assistant: [tool_call get_weather]\nSunny' },
  ],
  'otel.conversation_id': [attrs({ 'gen_ai.conversation.id': str('conv-1') }), { sessionId: 'conv-1' }],
  'otel.user_id': [attrs({ 'user.id': str('u-1') }), { userId: 'u-1' }],
  'otel.cost_amount': [
    attrs({ 'gen_ai.usage.cost.amount': dbl(0.25), 'gen_ai.usage.cost.currency': str('usd') }),
    { providedCost: { usd: 0.25, key: 'gen_ai.usage.cost.amount' } },
  ],
  'otel.cost': [
    attrs({ 'gen_ai.usage.cost': dbl(0.5) }),
    { providedCost: { usd: 0.5, key: 'gen_ai.usage.cost' } },
  ],
  'otel-deprecated.system': [attrs({ 'gen_ai.system': str('OpenAI') }), { provider: 'openai' }],
  'otel-deprecated.prompt_tokens': [attrs({ 'gen_ai.usage.prompt_tokens': int(80) }), { inputTokens: 80 }],
  'otel-deprecated.completion_tokens': [
    attrs({ 'gen_ai.usage.completion_tokens': dbl(19.6) }),
    { outputTokens: 20 },
  ],
  'otel-deprecated.prompt': [
    attrs({
      'gen_ai.prompt.1.role': str('user'),
      'gen_ai.prompt.1.content': str('second'),
      'gen_ai.prompt.0.role': str('system'),
      'gen_ai.prompt.0.content': str('first'),
    }),
    { inputText: 'system: first\nuser: second' },
  ],
  'otel-deprecated.completion': [
    attrs({ 'gen_ai.completion.0.role': str('assistant'), 'gen_ai.completion.0.content': str('done') }),
    { outputText: 'assistant: done' },
  ],
  'otel-deprecated.enduser_id': [attrs({ 'enduser.id': str('e-1') }), { userId: 'e-1' }],
  'openinference.span_kind': [
    attrs({ 'openinference.span.kind': str('RETRIEVER') }),
    { spanType: 'retriever' },
  ],
  'openinference.provider': [attrs({ 'llm.provider': str('anthropic') }), { provider: 'anthropic' }],
  'openinference.system': [attrs({ 'llm.system': str('openai') }), { provider: 'openai' }],
  'openinference.invocation_model': [
    attrs({ 'llm.invocation_parameters': str('{"model": "gpt-4o-mini", "temperature": 0}') }),
    { requestModel: 'gpt-4o-mini', spanType: 'llm' },
  ],
  // The OpenAI instrumentation's llm.model_name is the model that answered.
  'openinference.model_name': [
    attrs({ 'llm.model_name': str('gpt-4o-mini-2024-07-18') }),
    { requestModel: '', responseModel: 'gpt-4o-mini-2024-07-18', spanType: 'llm' },
  ],
  'openinference.embedding_model_name': [
    attrs({ 'embedding.model_name': str('text-embedding-3-small') }),
    { requestModel: 'text-embedding-3-small' },
  ],
  'openinference.prompt_tokens': [attrs({ 'llm.token_count.prompt': int(200) }), { inputTokens: 200 }],
  'openinference.completion_tokens': [attrs({ 'llm.token_count.completion': int(40) }), { outputTokens: 40 }],
  'openinference.cache_read_tokens': [
    attrs({ 'llm.token_count.prompt_details.cache_read': int(150) }),
    { cacheReadTokens: 150 },
  ],
  'openinference.cache_write_tokens': [
    attrs({ 'llm.token_count.prompt_details.cache_write': int(10) }),
    { cacheWriteTokens: 10 },
  ],
  'openinference.reasoning_tokens': [
    attrs({ 'llm.token_count.completion_details.reasoning': int(8) }),
    { reasoningTokens: 8 },
  ],
  'openinference.input_messages': [
    attrs({
      'llm.input_messages.0.message.role': str('user'),
      'llm.input_messages.0.message.content': str('Hello'),
      'llm.input_messages.0.message.name': str('ignored'),
    }),
    { inputText: 'user: Hello' },
  ],
  'openinference.output_messages': [
    attrs({
      'llm.output_messages.0.message.role': str('assistant'),
      'llm.output_messages.0.message.content': str('Hi'),
    }),
    { outputText: 'assistant: Hi' },
  ],
  'otel.tool_call_arguments': [
    attrs({ 'gen_ai.tool.call.arguments': str('{"city":"Paris"}') }),
    { inputText: '{"city":"Paris"}' },
  ],
  'otel.tool_call_result': [
    attrs({
      'gen_ai.tool.call.result': {
        type: 'kvlist',
        value: [{ key: 'temperature', value: int(24) }],
      },
    }),
    { outputText: '{"temperature":24}' },
  ],
  'openinference.input_value': [attrs({ 'input.value': str('What is 2+2?') }), { inputText: 'What is 2+2?' }],
  'openinference.output_value': [attrs({ 'output.value': str('4') }), { outputText: '4' }],
  'openinference.session_id': [attrs({ 'session.id': str('s-1') }), { sessionId: 's-1' }],
  'openinference.cost': [
    attrs({ 'llm.cost.total': str('0.0123') }),
    { providedCost: { usd: 0.0123, key: 'llm.cost.total' } },
  ],
  'traceloop.span_kind': [attrs({ 'traceloop.span.kind': str('workflow') }), { spanType: 'chain' }],
  'traceloop.request_type': [attrs({ 'llm.request.type': str('embedding') }), { spanType: 'embedding' }],
  'traceloop.operation': [attrs({ 'llm.request.type': str('chat') }), { operation: 'chat', spanType: 'llm' }],
  'traceloop.prompt_tokens': [attrs({ 'llm.usage.prompt_tokens': str('64') }), { inputTokens: 64 }],
  'traceloop.completion_tokens': [attrs({ 'llm.usage.completion_tokens': int(16) }), { outputTokens: 16 }],
  'traceloop.cache_read_tokens': [
    attrs({ 'gen_ai.usage.cache_read_input_tokens': int(32) }),
    { cacheReadTokens: 32 },
  ],
  'traceloop.cache_write_tokens': [
    attrs({ 'gen_ai.usage.cache_creation_input_tokens': int(4) }),
    { cacheWriteTokens: 4 },
  ],
  'traceloop.entity_input': [
    attrs({ 'traceloop.entity.input': str('{"inputs":{"q":"x"}}') }),
    { inputText: '{"inputs":{"q":"x"}}' },
  ],
  'traceloop.entity_output': [
    attrs({ 'traceloop.entity.output': str('plain answer') }),
    { outputText: 'plain answer' },
  ],
  'traceloop.session_id': [
    attrs({ 'traceloop.association.properties.session_id': str('tl-s') }),
    { sessionId: 'tl-s' },
  ],
  'traceloop.user_id': [
    attrs({ 'traceloop.association.properties.user_id': str('tl-u') }),
    { userId: 'tl-u' },
  ],
  'traceloop.cost': [
    attrs({ 'llm.usage.cost': dbl(0.002) }),
    { providedCost: { usd: 0.002, key: 'llm.usage.cost' } },
  ],
  'vercel-ai.operation_id': [
    attrs({ 'ai.operationId': str('ai.generateText.doGenerate') }),
    { spanType: 'llm', operation: 'ai.generateText.doGenerate' },
  ],
  'vercel-ai.operation': [
    attrs({ 'ai.operationId': str('ai.generateText') }),
    { spanType: 'chain', operation: 'ai.generateText' },
  ],
  'vercel-ai.provider': [attrs({ 'ai.model.provider': str('openai.chat') }), { provider: 'openai' }],
  'vercel-ai.model_id': [attrs({ 'ai.model.id': str('gpt-4o-mini') }), { requestModel: 'gpt-4o-mini' }],
  'vercel-ai.response_model': [
    attrs({ 'ai.response.model': str('gpt-4o-mini-2024-07-18') }),
    { responseModel: 'gpt-4o-mini-2024-07-18' },
  ],
  'vercel-ai.prompt_tokens': [
    attrs({
      'ai.usage.promptTokens': int(100),
      'ai.model.provider': str('anthropic.messages'),
      'ai.usage.cachedInputTokens': int(900),
    }),
    // Anthropic counts cache reads apart from input; the OpenTelemetry meaning includes them.
    { inputTokens: 1000, cacheReadTokens: 900, provider: 'anthropic' },
  ],
  'vercel-ai.input_tokens': [
    attrs({
      'ai.usage.inputTokens': int(1000),
      'ai.model.provider': str('openai.responses'),
      'ai.usage.cachedInputTokens': int(900),
    }),
    // OpenAI already includes cached tokens in its input count.
    { inputTokens: 1000, cacheReadTokens: 900 },
  ],
  'vercel-ai.completion_tokens': [attrs({ 'ai.usage.completionTokens': int(7) }), { outputTokens: 7 }],
  'vercel-ai.output_tokens': [attrs({ 'ai.usage.outputTokens': int(9) }), { outputTokens: 9 }],
  'vercel-ai.cached_input_tokens': [attrs({ 'ai.usage.cachedInputTokens': int(5) }), { cacheReadTokens: 5 }],
  'vercel-ai.reasoning_tokens': [attrs({ 'ai.usage.reasoningTokens': int(3) }), { reasoningTokens: 3 }],
  'vercel-ai.prompt_messages': [
    attrs({
      'ai.prompt.messages': str(
        '[{"role":"user","content":[{"type":"text","text":"Tell a joke"},{"type":"image","image":"…"}]}]',
      ),
    }),
    { inputText: 'user: Tell a joke\n[image]' },
  ],
  'vercel-ai.prompt': [
    attrs({ 'ai.prompt': str('{"system":"You are terse.","prompt":"Tell a joke"}') }),
    { inputText: 'system: You are terse.\nTell a joke' },
  ],
  'vercel-ai.response_text': [attrs({ 'ai.response.text': str('Why did…') }), { outputText: 'Why did…' }],
  'vercel-ai.response_object': [
    attrs({ 'ai.response.object': str('{"joke":"Why did…"}') }),
    { outputText: '{"joke":"Why did…"}' },
  ],
  'vercel-ai.session_id': [attrs({ 'ai.telemetry.metadata.sessionId': str('v-s') }), { sessionId: 'v-s' }],
  'vercel-ai.user_id': [attrs({ 'ai.telemetry.metadata.userId': str('v-u') }), { userId: 'v-u' }],
};

describe('normalisation rules', () => {
  it('have unique ids and a test case each', () => {
    const ids = normalisationRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(cases).sort()).toEqual([...ids].sort());
  });

  it.each(normalisationRules.map((r) => [r.id, r] as const))('%s', (id, rule) => {
    const [attributes, expected] = cases[id]!;
    expect(normaliseSpan(attributes)).toMatchObject(expected);
    // The rule itself is what reads it: without it the field stays empty.
    const without = normaliseSpan(attributes, { rules: normalisationRules.filter((r) => r !== rule) });
    const field = rule.field === 'cost' ? 'providedCost' : rule.field;
    expect(without[field]).not.toEqual(normaliseSpan(attributes)[field]);
  });
});
