/**
 * The older per-message GenAI events (semantic conventions before 1.37) and the role each
 * speaks in; the answer came in `gen_ai.choice`.
 */
export const genAiMessageEvents: Readonly<Record<string, string>> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/**
 * The log-based events that carry a span's GenAI messages: the 1.37+ operation details event
 * and the older per-message ones. Readers of span text (trace read, search, MLflow sync) join them.
 */
export const genAiTextEvents: readonly string[] = [
  'gen_ai.client.inference.operation.details',
  'gen_ai.choice',
  ...Object.keys(genAiMessageEvents),
];
