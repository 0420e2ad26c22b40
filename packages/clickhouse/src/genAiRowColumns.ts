import { emptyGenAiFields, type GenAiFields } from '@llmp/otlp';

// Long enough to recognise a prompt in a list, short enough to read a page of them cheaply.
const previewChars = 200;

/**
 * A one-line preview: whitespace runs collapsed, cut at `previewChars` characters.
 * @example preview('user: hello\n\nworld') // 'user: hello world'
 */
export function preview(text: string): string {
  return cleanPrefix(text) ?? collapsedPreview(text);
}

/**
 * The preview without building a collapsed copy, when the text needs no collapsing up to the
 * cut: no leading whitespace, single spaces only, no surrogate before the cut. Most prompts are
 * like that, and the regular expression below cost ~13 % of the ingester's own CPU
 * (`pnpm bench ingester-node`). Undefined when the text needs the general path.
 */
function cleanPrefix(text: string): string | undefined {
  const end = Math.min(text.length, previewChars * 4);
  const cut = Math.min(end, previewChars);
  for (let i = 0; i < cut; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x20 && c < 0x7f) continue;
    if (c === 0x20) {
      if (i === 0 || i + 1 >= end || isWhitespace(text.charCodeAt(i + 1))) return undefined;
      continue;
    }
    if (isWhitespace(c) || (c >= 0xd800 && c <= 0xdfff)) return undefined;
  }
  if (end <= previewChars) return text.length === end ? text : undefined;
  // Longer than the cut once trimmed: some non-whitespace follows within the window.
  for (let i = cut; i < end; i++) if (!isWhitespace(text.charCodeAt(i))) return text.slice(0, cut);
  return undefined;
}

/** `\s` of a regular expression, for one UTF-16 unit (ECMAScript WhiteSpace and LineTerminator). */
function isWhitespace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function collapsedPreview(text: string): string {
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
