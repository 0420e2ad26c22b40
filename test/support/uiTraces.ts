import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** What an LLM call in the UI suite says, to find it again on the page. */
export const chatTurn = {
  question: 'What is the refund window for order 4711?',
  answer: 'Orders can be refunded within 30 days.',
  inputTokens: 321,
  outputTokens: 54,
  costUsd: 0.0042,
};

function provider(url: string, serviceName: string, headers: Record<string, string>, queue = 2048) {
  return new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new BatchSpanProcessor({
        // A loaded machine may take longer than the SDK's 10 s to store a 2 000-span export.
        exporter: new OTLPTraceExporter({ url, headers, timeoutMillis: 60_000 }),
        maxQueueSize: queue,
        maxExportBatchSize: Math.min(queue, 2000),
        scheduledDelayMillis: 50,
      }),
    ],
  });
}

/**
 * Sends, through the real OpenTelemetry JS SDK, an agent trace: a root, an LLM call with GenAI
 * messages (one tool call), tokens and a provided cost, and the tool span.
 * @example const traceId = await sendChatTrace(`http://127.0.0.1:${port}/v1/traces`, 'svc');
 */
export async function sendChatTrace(
  url: string,
  serviceName: string,
  {
    headers = {},
    jobId = 'support-bot',
    rootAttributes = {},
    answer = chatTurn.answer,
  }: {
    /** Export headers (an API key). */
    headers?: Record<string, string>;
    /** The llmp.job.id of the LLM span. */
    jobId?: string;
    /** Attributes of the root span (session.id, user.id). */
    rootAttributes?: Record<string, string>;
    /** The assistant's text (a job's output checks read it). */
    answer?: string;
  } = {},
) {
  const p = provider(url, serviceName, headers);
  const tracer = p.getTracer('ui-e2e');
  const root = tracer.startSpan('POST /support', { kind: SpanKind.SERVER, attributes: rootAttributes });
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': chatTurn.inputTokens,
        'gen_ai.usage.output_tokens': chatTurn.outputTokens,
        'gen_ai.usage.cost': chatTurn.costUsd,
        'gen_ai.input.messages': JSON.stringify([
          { role: 'system', parts: [{ type: 'text', content: 'You answer support questions.' }] },
          { role: 'user', parts: [{ type: 'text', content: chatTurn.question }] },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [
              { type: 'text', content: answer },
              { type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { id: 4711 } },
            ],
            finish_reason: 'tool_call',
          },
        ]),
        'llmp.job.id': jobId,
      },
    },
    ctx,
  );
  llm.setStatus({ code: SpanStatusCode.OK });
  const tool = tracer.startSpan(
    'execute_tool lookup_order',
    { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' } },
    trace.setSpan(ROOT_CONTEXT, llm),
  );
  tool.end();
  llm.end();
  root.end();
  await p.forceFlush();
  await p.shutdown();
  return root.spanContext().traceId;
}

/**
 * Sends one trace of `count` spans (a root with a few levels of children) through the real SDK.
 * Span n starts n µs after the root, so the tree's order is the order they were made in: the
 * last row is span `count - 1` (attribute item.index), a `call` under the last step.
 * @example const traceId = await sendWideTrace(url, 'svc', 30_000);
 */
export async function sendWideTrace(
  url: string,
  serviceName: string,
  count: number,
  headers: Record<string, string> = {},
) {
  const p = provider(url, serviceName, headers, count + 10);
  const tracer = p.getTracer('ui-e2e');
  const base = Date.now();
  // Milliseconds since the epoch with a fraction: the SDK keeps the microseconds.
  const at = (n: number) => base + n / 1000;
  const root = tracer.startSpan('batch job', { startTime: at(0) });
  const rootCtx = trace.setSpan(ROOT_CONTEXT, root);
  let made = 1;
  while (made < count) {
    const step = tracer.startSpan(`step ${made}`, { startTime: at(made) }, rootCtx);
    made++;
    const stepCtx = trace.setSpan(ROOT_CONTEXT, step);
    for (let i = 0; i < 9 && made < count; i++, made++) {
      tracer
        .startSpan(`call ${i}`, { attributes: { 'item.index': made }, startTime: at(made) }, stepCtx)
        .end(at(made + 0.5));
    }
    step.end(at(made));
  }
  root.end(at(count));
  await p.forceFlush();
  await p.shutdown();
  return root.spanContext().traceId;
}
