import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

// OpenTelemetry GenAI instrumentations with message capture as events (EVENT_ONLY) send the
// prompt and the answer as log records in the span's context, the span itself without them.

const dir = tempDir('sdk-logs');
let llmp: LlmpProcess;

beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
});

afterAll(async () => {
  expect(await llmp?.stop()).toBe(0);
  dir.remove();
});

/** Every export result of a log exporter (the SDK's processors swallow failures). */
function recording(inner: LogRecordExporter) {
  const results: number[] = [];
  const exporter: LogRecordExporter = {
    export: (records, done) =>
      inner.export(records, (result) => {
        results.push(result.code);
        done(result);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  };
  return { exporter, results };
}

type Emit = (logger: ReturnType<LoggerProvider['getLogger']>, context: typeof ROOT_CONTEXT) => void;

/** The 1.37+ event: one record with structured (AnyValue array) messages. */
const detailsEvent: Emit = (logger, context) =>
  logger.emit({
    context,
    eventName: 'gen_ai.client.inference.operation.details',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system_instructions': [{ type: 'text', content: 'be brief' }],
      'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'hello there' }] }],
      'gen_ai.output.messages': [
        { role: 'assistant', parts: [{ type: 'text', content: 'general kenobi' }], finish_reason: 'stop' },
      ],
    },
  });

/** The older per-message events: a body per message, the answer in gen_ai.choice. */
const messageEvents: Emit = (logger, context) => {
  logger.emit({ context, eventName: 'gen_ai.system.message', body: { content: 'be brief' } });
  logger.emit({ context, eventName: 'gen_ai.user.message', body: { content: 'hello there' } });
  logger.emit({
    context,
    eventName: 'gen_ai.choice',
    body: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'general kenobi' } },
  });
};

const exporters: Array<[string, () => LogRecordExporter, Emit]> = [
  [
    'OTLP/HTTP JSON (exporter-logs-otlp-http), operation details event',
    () => new JsonLogExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/logs` }),
    detailsEvent,
  ],
  [
    'OTLP/HTTP protobuf with gzip (exporter-logs-otlp-proto), per-message events',
    () =>
      new ProtoLogExporter({
        url: `http://127.0.0.1:${llmp.httpPort}/v1/logs`,
        compression: 'gzip' as never,
      }),
    messageEvents,
  ],
  [
    'OTLP/gRPC (exporter-logs-otlp-grpc), operation details event',
    () => new GrpcLogExporter({ url: `http://127.0.0.1:${llmp.grpcPort}` }),
    detailsEvent,
  ],
];

describe.each(exporters)('%s', (label, makeExporter, emit) => {
  it('stores the records and fills the LLM span input and output from them', async () => {
    const resource = resourceFromAttributes({ 'service.name': `logs-${label.replace(/\W+/g, '-')}` });
    const tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new SimpleSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces` }),
        }),
      ],
    });
    const logs = recording(makeExporter());
    const loggerProvider = new LoggerProvider({
      resource,
      processors: [new SimpleLogRecordProcessor({ exporter: logs.exporter })],
    });

    const span = tracerProvider.getTracer('llmp-e2e').startSpan('chat gpt-4o', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
      },
    });
    // The records first: the join holds whichever of span and records arrives first.
    emit(loggerProvider.getLogger('llmp-e2e'), trace.setSpan(ROOT_CONTEXT, span));
    await loggerProvider.forceFlush();
    span.end();
    await tracerProvider.forceFlush();
    await Promise.all([loggerProvider.shutdown(), tracerProvider.shutdown()]);
    expect(logs.results.length).toBeGreaterThan(0);
    expect(logs.results).toEqual(logs.results.map(() => ExportResultCode.SUCCESS));

    const { traceId, spanId } = span.spanContext();
    const response = await llmp.api(`/v1/traces/${traceId}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      spans: Array<{ spanId: string; genAi: { inputText: string; outputText: string } }>;
    };
    const llm = body.spans.find((s) => s.spanId === spanId);
    expect(llm?.genAi.inputText).toBe('system: be brief\nuser: hello there');
    expect(llm?.genAi.outputText).toBe('assistant: general kenobi');

    // GET /v1/logs: the span's records, one per page, newest first, each page once.
    const seen: Array<{ spanId: string; eventName: string; serviceName: string }> = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await llmp.api(
        `/v1/logs?traceId=${traceId}&spanId=${spanId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      const body = (await page.json()) as { items: typeof seen; next_cursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(1);
      seen.push(...body.items);
      cursor = body.next_cursor;
    }
    const sentEvents = emit === detailsEvent ? 1 : 3;
    expect(seen).toHaveLength(sentEvents);
    for (const record of seen) {
      expect(record.spanId).toBe(spanId);
      expect(record.serviceName).toBe(`logs-${label.replace(/\W+/g, '-')}`);
      expect(record.eventName).toMatch(/^gen_ai\./);
    }
    expect((await llmp.api('/v1/logs?severity=loud')).status).toBe(400);

    // Span search shows the previews of the records too.
    const service = `logs-${label.replace(/\W+/g, '-')}`;
    const search = (await (await llmp.api(`/v1/spans?service=${service}`)).json()) as {
      spans: Array<{ spanId: string; inputPreview: string; outputPreview: string }>;
    };
    expect(search.spans.find((s) => s.spanId === spanId)).toMatchObject({
      inputPreview: expect.stringContaining('user: hello there'),
      outputPreview: 'assistant: general kenobi',
    });
  });
});
