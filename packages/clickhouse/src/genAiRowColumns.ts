import { emptyGenAiFields, type GenAiFields } from '@llmp/genai';

// Long enough to recognise a prompt in a list, short enough to read a page of them cheaply.
const previewChars = 200;

/**
 * A one-line preview: whitespace runs collapsed, cut at `previewChars` characters.
 * @example preview('user: hello\n\nworld') // 'user: hello world'
 */
export function preview(text: string): string {
  const collapsed = text
    .slice(0, previewChars * 4)
    .replace(/\s+/g, ' ')
    .trim();
  if (collapsed.length <= previewChars) return collapsed;
  const head = collapsed.slice(0, previewChars);
  // Without surrogates, characters are UTF-16 units: cut without splitting into code points
  // (the split dominated row encoding in a profile).
  return surrogate.test(head) ? Array.from(collapsed).slice(0, previewChars).join('') : head;
}

const surrogate = /[\uD800-\uDFFF]/;

/**
 * The `spans` columns of a span's canonical GenAI fields (all empty for a span the genai
 * processor did not see).
 * @example genAiRowColumns(genAiOf(batch, span)).gen_ai_request_model
 */
export function genAiRowColumns(fields: GenAiFields = emptyGenAiFields()) {
  return {
    span_type: fields.spanType,
    gen_ai_operation: fields.operation,
    gen_ai_provider: fields.provider,
    gen_ai_request_model: fields.requestModel,
    gen_ai_response_model: fields.responseModel,
    gen_ai_input_tokens: fields.inputTokens,
    gen_ai_output_tokens: fields.outputTokens,
    gen_ai_cache_read_tokens: fields.cacheReadTokens,
    gen_ai_cache_write_tokens: fields.cacheWriteTokens,
    gen_ai_reasoning_tokens: fields.reasoningTokens,
    gen_ai_cost_usd: fields.costUsd,
    gen_ai_cost_source: fields.costSource,
    gen_ai_price_id: fields.priceId,
    gen_ai_input_text: fields.inputText,
    gen_ai_output_text: fields.outputText,
    gen_ai_input_preview: preview(fields.inputText),
    gen_ai_output_preview: preview(fields.outputText),
    session_id: fields.sessionId,
    user_id: fields.userId,
  };
}
