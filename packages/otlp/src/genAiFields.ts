/** The span types llmp sorts spans into, whatever convention the instrumentation follows. */
export const spanTypes = [
  'llm',
  'embedding',
  'tool',
  'retriever',
  'agent',
  'chain',
  'evaluator',
  'other',
] as const;

export type SpanType = (typeof spanTypes)[number];

/**
 * The canonical GenAI fields of one span, read from whichever conventions it follows. Token
 * counts have the OpenTelemetry meaning: `inputTokens` includes cache reads and writes,
 * `outputTokens` includes reasoning tokens. Empty text / zero means "not said".
 */
export interface GenAiFields {
  spanType: SpanType;
  operation: string;
  provider: string;
  requestModel: string;
  responseModel: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Readable input / output (messages rendered as `role: text` lines), bounded in length. */
  inputText: string;
  outputText: string;
  sessionId: string;
  userId: string;
  /** USD; null when neither the app nor the price table gave one. */
  costUsd: number | null;
  /** `provided` (the app sent it), `price` (from the price table) or empty. */
  costSource: '' | 'provided' | 'price';
  /** The attribute the cost came from, or the id of the price that applied. */
  priceId: string;
}

/**
 * Fields of a span that says nothing about GenAI.
 * @example emptyGenAiFields().spanType // 'other'
 */
export function emptyGenAiFields(): GenAiFields {
  return {
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
    costUsd: null,
    costSource: '',
    priceId: '',
  };
}
