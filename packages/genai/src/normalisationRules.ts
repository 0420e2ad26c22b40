import type { SpanType } from '@llmp/otlp';

/** The conventions llmp reads, in the order they are consulted. */
export type Convention = 'otel' | 'otel-deprecated' | 'openinference' | 'traceloop' | 'vercel-ai';

/** A canonical field a rule can fill (`cost` is a cost the app sent, which beats the price table). */
export type RuleField =
  | 'spanType'
  | 'operation'
  | 'provider'
  | 'requestModel'
  | 'responseModel'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheReadTokens'
  | 'cacheWriteTokens'
  | 'reasoningTokens'
  | 'inputText'
  | 'outputText'
  | 'sessionId'
  | 'userId'
  | 'cost';

/** How a rule reads its attribute(s). */
export type RuleReader =
  /** A non-empty scalar, as text; `provider` rules lower-case it, `firstSegment` keeps what precedes the first dot. */
  | { read: 'text'; key: string; firstSegment?: boolean }
  /** A non-negative integer (int, whole double, or digits). */
  | { read: 'count'; key: string }
  /**
   * A non-negative amount in USD; with `currencyKey`, only when that attribute is absent or
   * says USD (llmp converts no currency: another one leaves the cost to the price table).
   */
  | { read: 'usd'; key: string; currencyKey?: string }
  /** An enumerated kind mapped onto a span type (case-insensitive); unknown values say nothing. */
  | { read: 'kind'; key: string; values: Record<string, SpanType> }
  /** Messages as one JSON attribute (or plain text), rendered as `role: text` lines. */
  | { read: 'messages'; key: string }
  /** A value as it was sent: a string as is, a structured value as JSON (tool arguments, results). */
  | { read: 'value'; key: string }
  /** A top-level string field of a JSON object sent as a string (or kvlist), e.g. a request's `model`. */
  | { read: 'jsonField'; key: string; path: string }
  /**
   * Messages flattened with indices: `${prefix}N${role}` and `${prefix}N${content}`, and the
   * tool calls of message N as `${prefix}N${toolCalls.prefix}M${toolCalls.name|arguments}`.
   */
  | {
      read: 'indexedMessages';
      prefix: string;
      role: string;
      content: string;
      toolCalls?: { prefix: string; name: string; arguments: string };
    };

export type NormalisationRule = RuleReader & {
  /** Stable name, used by the per-rule tests. */
  id: string;
  convention: Convention;
  field: RuleField;
  /**
   * Input-token rules whose count leaves cache reads and writes out when the provider matches
   * this pattern; the processor adds them back so input has the OpenTelemetry meaning.
   */
  cacheApartFor?: RegExp;
};

// Sources for the names below:
// - OpenTelemetry GenAI semantic conventions (gen-ai-spans.md, registry "gen_ai"): current names,
//   and the deprecated ones (gen_ai.system, gen_ai.usage.prompt_tokens/completion_tokens,
//   gen_ai.prompt.N.* / gen_ai.completion.N.* as still sent by OpenLLMetry). Cache and reasoning
//   counts "SHOULD be included in gen_ai.usage.input_tokens / output_tokens".
// - OpenInference semantic conventions (spec/attributes/semantic-conventions.md): span kinds,
//   llm.token_count.*, llm.token_count.prompt_details.cache_read|cache_write (a breakdown of the
//   prompt count, so included in it), llm.cost.total, flattened llm.input_messages.N.message.*
//   with message.tool_calls.M.tool_call.function.name|arguments. Its OpenAI instrumentation puts
//   the model the API answered with (e.g. gpt-4o-mini-2024-07-18) in llm.model_name and the
//   request's parameters, with the model asked for, in llm.invocation_parameters (JSON).
// - OpenTelemetry GenAI execute_tool spans: gen_ai.tool.call.arguments and .result.
// - OpenLLMetry / Traceloop (traceloop-sdk semconv_ai): traceloop.span.kind, traceloop.entity.*,
//   llm.request.type, llm.usage.*, gen_ai.usage.cache_read_input_tokens, association properties.
// - Vercel AI SDK telemetry (ai-sdk.dev/docs/ai-sdk-core/telemetry#collected-data): ai.operationId,
//   ai.model.*, ai.usage.* (promptTokens/completionTokens up to v4, inputTokens/outputTokens in
//   v5), ai.prompt, ai.prompt.messages, ai.response.*, ai.telemetry.metadata.*.

const otelOperations: Record<string, SpanType> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'embedding',
  execute_tool: 'tool',
  create_agent: 'agent',
  invoke_agent: 'agent',
  // A workflow (LangChain's first chain, a CrewAI crew) wraps its steps as a chain does.
  invoke_workflow: 'chain',
  retrieval: 'retriever',
};

const openInferenceKinds: Record<string, SpanType> = {
  llm: 'llm',
  embedding: 'embedding',
  chain: 'chain',
  retriever: 'retriever',
  reranker: 'retriever',
  tool: 'tool',
  agent: 'agent',
  evaluator: 'evaluator',
  guardrail: 'other',
  prompt: 'other',
};

const traceloopKinds: Record<string, SpanType> = {
  workflow: 'chain',
  task: 'chain',
  agent: 'agent',
  tool: 'tool',
};

const traceloopRequestTypes: Record<string, SpanType> = {
  chat: 'llm',
  completion: 'llm',
  embedding: 'embedding',
  rerank: 'retriever',
};

// The AI SDK wraps each provider call (`.doGenerate`, `.doStream`, `.doEmbed`) in a span for the
// whole function call, which repeats its children's usage: that outer span is a chain.
const vercelOperations: Record<string, SpanType> = {
  'ai.generatetext': 'chain',
  'ai.streamtext': 'chain',
  'ai.generateobject': 'chain',
  'ai.streamobject': 'chain',
  'ai.generatetext.dogenerate': 'llm',
  'ai.streamtext.dostream': 'llm',
  'ai.generateobject.dogenerate': 'llm',
  'ai.streamobject.dostream': 'llm',
  'ai.embed': 'chain',
  'ai.embedmany': 'chain',
  'ai.embed.doembed': 'embedding',
  'ai.embedmany.doembed': 'embedding',
  'ai.toolcall': 'tool',
};

// Where the flattened messages keep their tool calls (OpenLLMetry: gen_ai.completion.N.tool_calls.M.name).
const openLlmetryToolCalls = { prefix: '.tool_calls.', name: '.name', arguments: '.arguments' };
const openInferenceToolCalls = {
  prefix: '.message.tool_calls.',
  name: '.tool_call.function.name',
  arguments: '.tool_call.function.arguments',
};

// AI SDK up to v5 passes the Anthropic provider's `usage.input_tokens` through as prompt/input
// tokens, and Anthropic counts cache reads and writes apart from it (Messages API usage).
const anthropic = /^anthropic/;

/**
 * The ordered rules of GenAI normalisation: for each field, the first rule that finds a value
 * wins, so the OpenTelemetry conventions come first, then OpenInference, OpenLLMetry and the
 * Vercel AI SDK. Rules are data; `normaliseSpan` interprets them.
 */
export const normalisationRules: readonly NormalisationRule[] = [
  // OpenTelemetry GenAI, current names.
  {
    id: 'otel.span_type',
    convention: 'otel',
    field: 'spanType',
    read: 'kind',
    key: 'gen_ai.operation.name',
    values: otelOperations,
  },
  {
    id: 'otel.operation',
    convention: 'otel',
    field: 'operation',
    read: 'text',
    key: 'gen_ai.operation.name',
  },
  { id: 'otel.provider', convention: 'otel', field: 'provider', read: 'text', key: 'gen_ai.provider.name' },
  {
    id: 'otel.request_model',
    convention: 'otel',
    field: 'requestModel',
    read: 'text',
    key: 'gen_ai.request.model',
  },
  {
    id: 'otel.response_model',
    convention: 'otel',
    field: 'responseModel',
    read: 'text',
    key: 'gen_ai.response.model',
  },
  {
    id: 'otel.input_tokens',
    convention: 'otel',
    field: 'inputTokens',
    read: 'count',
    key: 'gen_ai.usage.input_tokens',
  },
  {
    id: 'otel.output_tokens',
    convention: 'otel',
    field: 'outputTokens',
    read: 'count',
    key: 'gen_ai.usage.output_tokens',
  },
  {
    id: 'otel.cache_read_tokens',
    convention: 'otel',
    field: 'cacheReadTokens',
    read: 'count',
    key: 'gen_ai.usage.cache_read.input_tokens',
  },
  {
    id: 'otel.cache_write_tokens',
    convention: 'otel',
    field: 'cacheWriteTokens',
    read: 'count',
    key: 'gen_ai.usage.cache_creation.input_tokens',
  },
  {
    id: 'otel.reasoning_tokens',
    convention: 'otel',
    field: 'reasoningTokens',
    read: 'count',
    key: 'gen_ai.usage.reasoning.output_tokens',
  },
  {
    id: 'otel.input_messages',
    convention: 'otel',
    field: 'inputText',
    read: 'messages',
    key: 'gen_ai.input.messages',
  },
  {
    id: 'otel.output_messages',
    convention: 'otel',
    field: 'outputText',
    read: 'messages',
    key: 'gen_ai.output.messages',
  },
  {
    id: 'otel.tool_call_arguments',
    convention: 'otel',
    field: 'inputText',
    read: 'value',
    key: 'gen_ai.tool.call.arguments',
  },
  {
    id: 'otel.tool_call_result',
    convention: 'otel',
    field: 'outputText',
    read: 'value',
    key: 'gen_ai.tool.call.result',
  },
  {
    id: 'otel.conversation_id',
    convention: 'otel',
    field: 'sessionId',
    read: 'text',
    key: 'gen_ai.conversation.id',
  },
  { id: 'otel.user_id', convention: 'otel', field: 'userId', read: 'text', key: 'user.id' },
  // A cost with its currency (amount and ISO 4217 code), as cost-reporting instrumentations
  // and gateways send it; before every other cost name, and before the price table.
  {
    id: 'otel.cost_amount',
    convention: 'otel',
    field: 'cost',
    read: 'usd',
    key: 'gen_ai.usage.cost.amount',
    currencyKey: 'gen_ai.usage.cost.currency',
  },
  // Not a GenAI convention but read by several backends (and sent by LiteLLM-style proxies).
  { id: 'otel.cost', convention: 'otel', field: 'cost', read: 'usd', key: 'gen_ai.usage.cost' },
  // OpenTelemetry GenAI, deprecated names.
  {
    id: 'otel-deprecated.system',
    convention: 'otel-deprecated',
    field: 'provider',
    read: 'text',
    key: 'gen_ai.system',
  },
  {
    id: 'otel-deprecated.prompt_tokens',
    convention: 'otel-deprecated',
    field: 'inputTokens',
    read: 'count',
    key: 'gen_ai.usage.prompt_tokens',
  },
  {
    id: 'otel-deprecated.completion_tokens',
    convention: 'otel-deprecated',
    field: 'outputTokens',
    read: 'count',
    key: 'gen_ai.usage.completion_tokens',
  },
  {
    id: 'otel-deprecated.prompt',
    convention: 'otel-deprecated',
    field: 'inputText',
    read: 'indexedMessages',
    prefix: 'gen_ai.prompt.',
    role: '.role',
    content: '.content',
    toolCalls: openLlmetryToolCalls,
  },
  {
    id: 'otel-deprecated.completion',
    convention: 'otel-deprecated',
    field: 'outputText',
    read: 'indexedMessages',
    prefix: 'gen_ai.completion.',
    role: '.role',
    content: '.content',
    toolCalls: openLlmetryToolCalls,
  },
  {
    id: 'otel-deprecated.enduser_id',
    convention: 'otel-deprecated',
    field: 'userId',
    read: 'text',
    key: 'enduser.id',
  },
  // OpenInference.
  {
    id: 'openinference.span_kind',
    convention: 'openinference',
    field: 'spanType',
    read: 'kind',
    key: 'openinference.span.kind',
    values: openInferenceKinds,
  },
  {
    id: 'openinference.provider',
    convention: 'openinference',
    field: 'provider',
    read: 'text',
    key: 'llm.provider',
  },
  {
    id: 'openinference.system',
    convention: 'openinference',
    field: 'provider',
    read: 'text',
    key: 'llm.system',
  },
  {
    id: 'openinference.invocation_model',
    convention: 'openinference',
    field: 'requestModel',
    read: 'jsonField',
    key: 'llm.invocation_parameters',
    path: 'model',
  },
  {
    id: 'openinference.model_name',
    convention: 'openinference',
    field: 'responseModel',
    read: 'text',
    key: 'llm.model_name',
  },
  {
    id: 'openinference.embedding_model_name',
    convention: 'openinference',
    field: 'requestModel',
    read: 'text',
    key: 'embedding.model_name',
  },
  {
    id: 'openinference.prompt_tokens',
    convention: 'openinference',
    field: 'inputTokens',
    read: 'count',
    key: 'llm.token_count.prompt',
  },
  {
    id: 'openinference.completion_tokens',
    convention: 'openinference',
    field: 'outputTokens',
    read: 'count',
    key: 'llm.token_count.completion',
  },
  {
    id: 'openinference.cache_read_tokens',
    convention: 'openinference',
    field: 'cacheReadTokens',
    read: 'count',
    key: 'llm.token_count.prompt_details.cache_read',
  },
  {
    id: 'openinference.cache_write_tokens',
    convention: 'openinference',
    field: 'cacheWriteTokens',
    read: 'count',
    key: 'llm.token_count.prompt_details.cache_write',
  },
  {
    id: 'openinference.reasoning_tokens',
    convention: 'openinference',
    field: 'reasoningTokens',
    read: 'count',
    key: 'llm.token_count.completion_details.reasoning',
  },
  {
    id: 'openinference.input_messages',
    convention: 'openinference',
    field: 'inputText',
    read: 'indexedMessages',
    prefix: 'llm.input_messages.',
    role: '.message.role',
    content: '.message.content',
    toolCalls: openInferenceToolCalls,
  },
  {
    id: 'openinference.output_messages',
    convention: 'openinference',
    field: 'outputText',
    read: 'indexedMessages',
    prefix: 'llm.output_messages.',
    role: '.message.role',
    content: '.message.content',
    toolCalls: openInferenceToolCalls,
  },
  {
    id: 'openinference.input_value',
    convention: 'openinference',
    field: 'inputText',
    read: 'messages',
    key: 'input.value',
  },
  {
    id: 'openinference.output_value',
    convention: 'openinference',
    field: 'outputText',
    read: 'messages',
    key: 'output.value',
  },
  {
    id: 'openinference.session_id',
    convention: 'openinference',
    field: 'sessionId',
    read: 'text',
    key: 'session.id',
  },
  {
    id: 'openinference.cost',
    convention: 'openinference',
    field: 'cost',
    read: 'usd',
    key: 'llm.cost.total',
  },
  // OpenLLMetry / Traceloop.
  {
    id: 'traceloop.span_kind',
    convention: 'traceloop',
    field: 'spanType',
    read: 'kind',
    key: 'traceloop.span.kind',
    values: traceloopKinds,
  },
  {
    id: 'traceloop.request_type',
    convention: 'traceloop',
    field: 'spanType',
    read: 'kind',
    key: 'llm.request.type',
    values: traceloopRequestTypes,
  },
  {
    id: 'traceloop.operation',
    convention: 'traceloop',
    field: 'operation',
    read: 'text',
    key: 'llm.request.type',
  },
  {
    id: 'traceloop.prompt_tokens',
    convention: 'traceloop',
    field: 'inputTokens',
    read: 'count',
    key: 'llm.usage.prompt_tokens',
  },
  {
    id: 'traceloop.completion_tokens',
    convention: 'traceloop',
    field: 'outputTokens',
    read: 'count',
    key: 'llm.usage.completion_tokens',
  },
  {
    id: 'traceloop.cache_read_tokens',
    convention: 'traceloop',
    field: 'cacheReadTokens',
    read: 'count',
    key: 'gen_ai.usage.cache_read_input_tokens',
  },
  {
    id: 'traceloop.cache_write_tokens',
    convention: 'traceloop',
    field: 'cacheWriteTokens',
    read: 'count',
    key: 'gen_ai.usage.cache_creation_input_tokens',
  },
  {
    id: 'traceloop.entity_input',
    convention: 'traceloop',
    field: 'inputText',
    read: 'messages',
    key: 'traceloop.entity.input',
  },
  {
    id: 'traceloop.entity_output',
    convention: 'traceloop',
    field: 'outputText',
    read: 'messages',
    key: 'traceloop.entity.output',
  },
  {
    id: 'traceloop.session_id',
    convention: 'traceloop',
    field: 'sessionId',
    read: 'text',
    key: 'traceloop.association.properties.session_id',
  },
  {
    id: 'traceloop.user_id',
    convention: 'traceloop',
    field: 'userId',
    read: 'text',
    key: 'traceloop.association.properties.user_id',
  },
  { id: 'traceloop.cost', convention: 'traceloop', field: 'cost', read: 'usd', key: 'llm.usage.cost' },
  // Vercel AI SDK.
  {
    id: 'vercel-ai.operation_id',
    convention: 'vercel-ai',
    field: 'spanType',
    read: 'kind',
    key: 'ai.operationId',
    values: vercelOperations,
  },
  {
    id: 'vercel-ai.operation',
    convention: 'vercel-ai',
    field: 'operation',
    read: 'text',
    key: 'ai.operationId',
  },
  {
    id: 'vercel-ai.provider',
    convention: 'vercel-ai',
    field: 'provider',
    read: 'text',
    key: 'ai.model.provider',
    firstSegment: true,
  },
  {
    id: 'vercel-ai.model_id',
    convention: 'vercel-ai',
    field: 'requestModel',
    read: 'text',
    key: 'ai.model.id',
  },
  {
    id: 'vercel-ai.response_model',
    convention: 'vercel-ai',
    field: 'responseModel',
    read: 'text',
    key: 'ai.response.model',
  },
  {
    id: 'vercel-ai.prompt_tokens',
    convention: 'vercel-ai',
    field: 'inputTokens',
    read: 'count',
    key: 'ai.usage.promptTokens',
    cacheApartFor: anthropic,
  },
  {
    id: 'vercel-ai.input_tokens',
    convention: 'vercel-ai',
    field: 'inputTokens',
    read: 'count',
    key: 'ai.usage.inputTokens',
    cacheApartFor: anthropic,
  },
  {
    id: 'vercel-ai.completion_tokens',
    convention: 'vercel-ai',
    field: 'outputTokens',
    read: 'count',
    key: 'ai.usage.completionTokens',
  },
  {
    id: 'vercel-ai.output_tokens',
    convention: 'vercel-ai',
    field: 'outputTokens',
    read: 'count',
    key: 'ai.usage.outputTokens',
  },
  {
    id: 'vercel-ai.cached_input_tokens',
    convention: 'vercel-ai',
    field: 'cacheReadTokens',
    read: 'count',
    key: 'ai.usage.cachedInputTokens',
  },
  {
    id: 'vercel-ai.reasoning_tokens',
    convention: 'vercel-ai',
    field: 'reasoningTokens',
    read: 'count',
    key: 'ai.usage.reasoningTokens',
  },
  {
    id: 'vercel-ai.prompt_messages',
    convention: 'vercel-ai',
    field: 'inputText',
    read: 'messages',
    key: 'ai.prompt.messages',
  },
  { id: 'vercel-ai.prompt', convention: 'vercel-ai', field: 'inputText', read: 'messages', key: 'ai.prompt' },
  {
    id: 'vercel-ai.response_text',
    convention: 'vercel-ai',
    field: 'outputText',
    read: 'messages',
    key: 'ai.response.text',
  },
  {
    id: 'vercel-ai.response_object',
    convention: 'vercel-ai',
    field: 'outputText',
    read: 'messages',
    key: 'ai.response.object',
  },
  {
    id: 'vercel-ai.session_id',
    convention: 'vercel-ai',
    field: 'sessionId',
    read: 'text',
    key: 'ai.telemetry.metadata.sessionId',
  },
  {
    id: 'vercel-ai.user_id',
    convention: 'vercel-ai',
    field: 'userId',
    read: 'text',
    key: 'ai.telemetry.metadata.userId',
  },
];
