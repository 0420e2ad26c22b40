import type { KeyValue } from '@llmp/otlp';

// First-pass extraction of the job link and the most common GenAI attributes (OpenTelemetry
// GenAI semantic conventions, current names then deprecated ones). The normalisation processor
// (other conventions, cost) supersedes this.

type Lookup = (key: string) => KeyValue['value'] | undefined;

function lookupIn(...lists: KeyValue[][]): Lookup {
  return (key) => {
    for (const list of lists) {
      for (let i = list.length - 1; i >= 0; i--) {
        const { key: k, value } = list[i]!;
        // An empty value says nothing: look further out (scope, then resource).
        if (k === key && !(value.type === 'string' && value.value === '')) return value;
      }
    }
    return undefined;
  };
}

function text(lookup: Lookup, ...keys: string[]): string {
  for (const key of keys) {
    const v = lookup(key);
    if (v === undefined) continue;
    if (v.type === 'string' && v.value !== '') return v.value;
    if (v.type === 'int' || v.type === 'double' || v.type === 'bool') return String(v.value);
  }
  return '';
}

function count(lookup: Lookup, ...keys: string[]): string {
  for (const key of keys) {
    const v = lookup(key);
    if (v?.type === 'int' && v.value >= 0n) return v.value.toString();
    if (v?.type === 'double' && v.value >= 0) return String(Math.round(v.value));
    if (v?.type === 'string' && /^\d+$/.test(v.value)) return v.value;
  }
  return '0';
}

const spanTypeByOperation: Record<string, string> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
};

export interface JobLink {
  job_id: string;
  job_version: string;
  job_type: string;
}

/**
 * The job a span names, looking at the span, then its scope, then its resource.
 * @example jobLink(span.attributes, scope.attributes, resource.attributes).job_id
 */
export function jobLink(span: KeyValue[], scope: KeyValue[], resource: KeyValue[]): JobLink {
  const lookup = lookupIn(span, scope, resource);
  return {
    job_id: text(lookup, 'llmp.job.id'),
    job_version: text(lookup, 'llmp.job.version'),
    job_type: text(lookup, 'llmp.job.type'),
  };
}

/**
 * The GenAI columns of a span from its attributes.
 * @example genAiColumns(span.attributes).gen_ai_request_model
 */
export function genAiColumns(span: KeyValue[]) {
  const lookup = lookupIn(span);
  const operation = text(lookup, 'gen_ai.operation.name');
  return {
    span_type: spanTypeByOperation[operation] ?? '',
    gen_ai_operation: operation,
    gen_ai_provider: text(lookup, 'gen_ai.provider.name', 'gen_ai.system'),
    gen_ai_request_model: text(lookup, 'gen_ai.request.model'),
    gen_ai_response_model: text(lookup, 'gen_ai.response.model'),
    gen_ai_input_tokens: count(lookup, 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'),
    gen_ai_output_tokens: count(lookup, 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'),
    gen_ai_cache_read_tokens: count(lookup, 'gen_ai.usage.cache_read.input_tokens'),
    gen_ai_cache_write_tokens: count(lookup, 'gen_ai.usage.cache_creation.input_tokens'),
    gen_ai_reasoning_tokens: count(lookup, 'gen_ai.usage.reasoning.output_tokens'),
    gen_ai_cost_usd: null as number | null,
    session_id: text(lookup, 'gen_ai.conversation.id', 'session.id'),
    user_id: text(lookup, 'user.id', 'enduser.id'),
  };
}
