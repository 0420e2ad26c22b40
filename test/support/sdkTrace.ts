import {
  type Attributes,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Records every export result, since the SDK's span processors swallow failures. */
export function recordingExporter(inner: SpanExporter): SpanExporter & { results: ExportResult[] } {
  const results: ExportResult[] = [];
  return {
    results,
    export(spans, done) {
      inner.export(spans, (result) => {
        results.push(result);
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

export interface SentTrace {
  traceId: string;
  /** What the SDK itself recorded, to compare the stored spans with. */
  spans: ReadableSpan[];
}

/** Attributes of every type the OpenTelemetry API allows. */
export const everyTypeAttributes: Attributes = {
  'attr.string': 'hello',
  'attr.int': 42,
  'attr.negative': -7,
  'attr.double': 3.25,
  'attr.bool': true,
  'attr.false': false,
  'attr.strings': ['a', 'b'],
  'attr.ints': [1, 2, 3],
  'attr.doubles': [0.5, 1.5],
  'attr.bools': [true, false],
  'attr.empty_string': '',
};

/**
 * Sends one multi-span LLM-style trace through the real OpenTelemetry JS SDK and the given
 * exporter: a SERVER root, a CLIENT LLM call with GenAI and job attributes, an event and a link,
 * an INTERNAL tool span that fails.
 * @example const sent = await sendTrace(new OTLPTraceExporter({ url }), 'svc');
 */
export async function sendTrace(
  exporter: SpanExporter,
  serviceName: string,
): Promise<SentTrace & { exporter: ReturnType<typeof recordingExporter> }> {
  const memory = new InMemorySpanExporter();
  const recording = recordingExporter(exporter);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': serviceName,
      'deployment.environment': 'test',
      'service.instance.count': 3,
    }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: recording }),
      new BatchSpanProcessor({ exporter: memory }),
    ],
  });
  const tracer = provider.getTracer('llmp-e2e', '1.2.3');

  const other = tracer.startSpan('upstream', { kind: SpanKind.PRODUCER });
  const otherContext: SpanContext = other.spanContext();
  other.end();

  const root = tracer.startSpan('POST /chat', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'POST' },
  });
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...everyTypeAttributes,
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 30,
        'llmp.job.id': 'job-e2e',
        'llmp.job.version': '2',
      },
      links: [{ context: otherContext, attributes: { 'link.reason': 'follows', 'link.n': 1 } }],
    },
    rootContext,
  );
  llm.addEvent('gen_ai.choice', { 'gen_ai.choice.index': 0, finish_reason: 'stop', score: 0.75 });
  llm.addEvent('no attributes');
  llm.setStatus({ code: SpanStatusCode.OK });
  const tool = tracer.startSpan(
    'execute_tool search',
    { kind: SpanKind.INTERNAL },
    trace.setSpan(ROOT_CONTEXT, llm),
  );
  tool.recordException(new Error('search backend down'));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'search backend down' });
  tool.end();
  llm.end();
  root.setAttribute('http.response.status_code', 500);
  root.end();

  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return { traceId: root.spanContext().traceId, spans, exporter: recording };
}

/** OTLP's span kind name for an API SpanKind. */
export const kindName = (kind: SpanKind) => ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'][kind];

/** Nanoseconds since the epoch from the SDK's [seconds, nanoseconds]. */
export const nanos = ([seconds, ns]: [number, number]) =>
  (BigInt(seconds) * 1_000_000_000n + BigInt(ns)).toString();
