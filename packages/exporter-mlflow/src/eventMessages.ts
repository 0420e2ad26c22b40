import type { KeyValue, Span } from '@llmp/otlp';
import type { TraceUpload } from './traceUploads.ts';

/**
 * The GenAI messages of spans sent as log records (EVENT_ONLY capture), by span id, as the span
 * attributes an instrumentation capturing on the span would have set
 * (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`: JSON text).
 */
export type EventMessages = (
  projectId: string,
  traceIds: string[],
) => Promise<Map<string, Record<string, string>>>;

// Attributes in which a span carries its own input or output, in any convention llmp reads
// (packages/genai normalisationRules): a span with one keeps it, and MLflow reads that.
const ownInput = [
  'mlflow.spanInputs',
  'gen_ai.input.messages',
  'gen_ai.system_instructions',
  'gen_ai.prompt.',
  'gen_ai.tool.call.arguments',
  'llm.input_messages.',
  'input.value',
  'traceloop.entity.input',
  'ai.prompt',
];
const ownOutput = [
  'mlflow.spanOutputs',
  'gen_ai.output.messages',
  'gen_ai.completion.',
  'gen_ai.tool.call.result',
  'llm.output_messages.',
  'output.value',
  'traceloop.entity.output',
  'ai.response.text',
  'ai.response.object',
];

const carries = (span: Span, keys: string[]) =>
  span.attributes.some(({ key }) => keys.some((k) => (k.endsWith('.') ? key.startsWith(k) : key === k)));

/** Whether a span lacks its own input or output text (so its event records may hold it). */
export function bare(span: Span): boolean {
  return !carries(span, ownInput) || !carries(span, ownOutput);
}

/**
 * Gives the spans of uploads that carry no input or output of their own the messages their
 * GenAI event records hold (one look-up per project, only for traces with such a span). A
 * span's own text wins: an input or output it carries in any convention is kept. Sent again
 * (MLflow keys spans by trace and span id), a span gets the records stored by then, so the
 * text reaches MLflow whichever of span and records arrives first.
 * @example await withEventMessages(uploads, eventMessages);
 */
export async function withEventMessages(uploads: TraceUpload[], eventMessages: EventMessages): Promise<void> {
  const byProject = new Map<string, TraceUpload[]>();
  for (const upload of uploads) {
    if (!upload.request.resourceSpans.some((rs) => rs.scopeSpans.some((ss) => ss.spans.some(bare)))) continue;
    byProject.set(upload.projectId, [...(byProject.get(upload.projectId) ?? []), upload]);
  }
  for (const [projectId, found] of byProject) {
    const messages = await eventMessages(projectId, [...new Set(found.map((u) => u.traceId))]);
    if (messages.size === 0) continue;
    for (const upload of found) {
      for (const rs of upload.request.resourceSpans) {
        for (const ss of rs.scopeSpans) {
          ss.spans = ss.spans.map((span) => {
            const own = messages.get(span.spanId);
            if (!own) return span;
            const added: KeyValue[] = [];
            const wants = (key: string) =>
              key === 'gen_ai.output.messages' ? !carries(span, ownOutput) : !carries(span, ownInput);
            for (const [key, value] of Object.entries(own)) {
              if (wants(key)) added.push({ key, value: { type: 'string', value } });
            }
            return added.length === 0 ? span : { ...span, attributes: [...span.attributes, ...added] };
          });
        }
      }
    }
  }
}
