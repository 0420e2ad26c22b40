import { randomBytes } from 'node:crypto';
import { decodeJsonLogsRequest, decodeProtobufLogsRequest, encodeProtobufLogsRequest } from '@llmp/otlp';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { allPages } from '../support/allPages.ts';
import { isolatedTopics, startGateway, startIngester } from '../support/distributedRoles.ts';
import { distributedSuite } from '../support/distributedSuite.ts';
import { javaCodecs, produceWithEveryCodec } from '../support/kafka/javaProducerCodecs.ts';
import { collectorReading, otelcolConsumerBinary } from '../support/kafka/otelcolConsumer.ts';
import { readTopic, waitFor } from '../support/kafkaTopicReader.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';

// Issue 18 item 2: OTLP log records through the distributed roles — gateway → otlp_logs
// (otlp_proto, keyed by trace id) → ingester → otel_logs, inserted effectively once, from any
// producer and codec, the unreadable parked on otlp_logs_dlq.
const { brokers, dir, track, roles, crashBetweenInsertAndCommit } = distributedSuite('distributed-logs');

interface StoredLog {
  traceId: string;
  spanId: string;
  serviceName: string;
  eventName: string;
  body: string;
}

/** Every stored log record matching `query`, following the pages. */
const storedLogs = (api: Pick<LlmpProcess, 'api'>, query: string) =>
  allPages<StoredLog>(api, `/v1/logs?${query}`);

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

/**
 * With the real OpenTelemetry JS SDK: an LLM span (to /v1/traces) and, in its context, the
 * GenAI operation details event plus `plain` untraced records (to the logs exporter given).
 */
async function sendGenAiCall(
  gateway: LlmpProcess,
  service: string,
  logExporter: LogRecordExporter,
  plain = 1,
) {
  const resource = resourceFromAttributes({ 'service.name': service });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [
      new SimpleSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/traces` }),
      }),
    ],
  });
  const logs = recording(logExporter);
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
  const logger = loggerProvider.getLogger('llmp-e2e');
  logger.emit({
    context: trace.setSpan(ROOT_CONTEXT, span),
    eventName: 'gen_ai.client.inference.operation.details',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'hello there' }] }],
      'gen_ai.output.messages': [
        { role: 'assistant', parts: [{ type: 'text', content: 'general kenobi' }], finish_reason: 'stop' },
      ],
    },
  });
  for (let i = 0; i < plain; i++) logger.emit({ context: ROOT_CONTEXT, body: `untraced ${i}` });
  span.end();
  await Promise.all([loggerProvider.forceFlush(), tracerProvider.forceFlush()]);
  await Promise.all([loggerProvider.shutdown(), tracerProvider.shutdown()]);
  expect(logs.results.length).toBeGreaterThan(0);
  expect(logs.results).toEqual(logs.results.map(() => ExportResultCode.SUCCESS));
  return span.spanContext();
}

describe.skipIf(brokers === '')('OTLP logs through gateway → Kafka → ingester', () => {
  it('stores SDK log records in otel_logs and shows the GenAI event on its span', async () => {
    const topics = isolatedTopics('logs');
    const { gateway, ingester } = await roles('sdk', topics);
    // Before this change the gateway had no logs pipeline: /v1/logs answered 404.
    const { traceId, spanId } = await sendGenAiCall(
      gateway,
      'distributed-logs',
      new ProtoLogExporter({
        url: `http://127.0.0.1:${gateway.httpPort}/v1/logs`,
        compression: 'gzip' as never,
      }),
      2,
    );

    const logs = await waitFor(
      () => storedLogs(ingester, 'service=distributed-logs'),
      (l) => l.length >= 3,
    );
    expect(logs.map((l) => [l.traceId, l.eventName, l.body]).sort()).toEqual(
      [
        [traceId, 'gen_ai.client.inference.operation.details', ''],
        ['', '', 'untraced 0'],
        ['', '', 'untraced 1'],
      ].sort(),
    );
    // Spans and log records travel on their own topics and consumers: the span may be stored
    // after its records, so wait for it.
    type Span = { spanId: string; genAi: { inputText: string; outputText: string } };
    const spans = await waitFor(
      async () => {
        const response = await ingester.api(`/v1/traces/${traceId}`);
        return response.status === 200 ? ((await response.json()) as { spans: Span[] }).spans : [];
      },
      (found) => found.some((s) => s.spanId === spanId),
    );
    expect(spans.find((s) => s.spanId === spanId)?.genAi).toMatchObject({
      inputText: 'user: hello there',
      outputText: 'assistant: general kenobi',
    });

    // On the topic: one record per trace id keyed by it, the untraced ones keyed by service.
    // The SDK may export the three records in one request or more, so the topic holds two
    // records or three: read up to three (waiting at most 15 s for a third).
    const records = await readTopic(brokers, topics.logsTopic, 3, 15_000);
    expect([...new Set(records.map((r) => r.key))].sort()).toEqual(['distributed-logs', traceId].sort());
    expect(records.filter((r) => r.key === traceId)).toHaveLength(1);
    expect(records.every((r) => r.headers['llmp-project'] === 'default')).toBe(true);
  });

  it('takes OTLP/gRPC LogsService exports too', async () => {
    const topics = isolatedTopics('logsgrpc');
    const { gateway, ingester } = await roles('grpc', topics);
    const { traceId } = await sendGenAiCall(
      gateway,
      'distributed-logs-grpc',
      new GrpcLogExporter({ url: `http://127.0.0.1:${gateway.grpcPort}` }),
      0,
    );
    const logs = await waitFor(
      () => storedLogs(ingester, `traceId=${traceId}`),
      (l) => l.length >= 1,
    );
    expect(logs.map((l) => l.serviceName)).toEqual(['distributed-logs-grpc']);
  });
});

describe.skipIf(brokers === '')('otlp_logs redelivery', () => {
  it('after a crash between insert and commit and a restart, each record is stored once', async () => {
    const topics = isolatedTopics('logsredelivery');
    const gateway = track(await startGateway({ dataDir: `${dir.path}/r-gateway`, brokers, topics }));
    const restarted = await crashBetweenInsertAndCommit('r', topics, () =>
      sendGenAiCall(
        gateway,
        'redelivered-logs',
        new ProtoLogExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/logs` }),
        9,
      ),
    );
    const logs = await waitFor(
      () => storedLogs(restarted, 'service=redelivered-logs'),
      (l) => l.length >= 10,
    );
    // The re-inserted range carried the same token: ClickHouse dropped it, no record twice.
    expect(logs).toHaveLength(10);
    expect(new Set(logs.map((l) => l.body)).size).toBe(10);
    expect(await restarted.stop('SIGTERM')).toBe(0);
  });
});

// Six JVM launches (one Java producer per codec and the junk record): a longer budget.
describe.skipIf(brokers === '')('otlp_logs from any producer', () => {
  it('stores records the Java client wrote with every codec in otlp_proto and otlp_json; parks the unreadable on the logs DLQ', {
    timeout: 240_000,
  }, async () => {
    const topics = isolatedTopics('logsjava');
    const now = BigInt(Date.now()) * 1_000_000n;
    /** One OTLP/JSON logs request (as the Collector's otlp_json writes) of `service`. */
    const jsonLogs = (service: string, traceId: string) =>
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeLogs: [
              {
                scope: { name: 'java' },
                logRecords: [
                  {
                    timeUnixNano: String(now),
                    traceId,
                    spanId: '00000000000000a1',
                    body: { stringValue: `${service} says hi` },
                  },
                ],
              },
            ],
          },
        ],
      });
    const poison = randomBytes(40);
    poison[0] = 0xff;
    await produceWithEveryCodec({
      brokers,
      topic: topics.logsTopic,
      records: (codec) => {
        const traceId = randomBytes(16).toString('hex');
        return [
          {
            key: traceId,
            value: encodeProtobufLogsRequest(decodeJsonLogsRequest(jsonLogs(`java-${codec}-proto`, traceId))),
            headers: { 'llmp-project': 'default' },
          },
          { key: traceId, value: new TextEncoder().encode(jsonLogs(`java-${codec}-json`, traceId)) },
        ];
      },
      last: [{ key: 'junk', value: poison }],
    });
    const ingester = track(await startIngester({ dataDir: `${dir.path}/java-ingester`, brokers, topics }));
    const expected = javaCodecs.flatMap((c) => [`java-${c}-proto says hi`, `java-${c}-json says hi`]).sort();
    const logs = await waitFor(
      () => storedLogs(ingester, ''),
      (l) => new Set(l.map((r) => r.body)).size >= expected.length,
    );
    expect(logs.map((r) => r.body).sort()).toEqual(expected);
    const dlq = await readTopic(brokers, topics.logsDeadLetterTopic, 1);
    expect(dlq.map((r) => r.value)).toEqual([poison]);
    expect(dlq[0]!.headers['llmp-dlq-topic']).toBe(topics.logsTopic);
    expect(dlq[0]!.headers['llmp-dlq-offset']).toBe('10');
    // Counted per topic; every record stored or parked, so the logs partition's lag comes to 0.
    const metrics = await waitFor(
      () => fetch(`http://127.0.0.1:${ingester.telemetryPort}/metrics`).then((r) => r.text()),
      (text) => text.includes(`llmp_ingester_lag_records{topic="${topics.logsTopic}",partition="0"} 0`),
    );
    expect(metrics).toContain(`llmp_ingester_lag_records{topic="${topics.logsTopic}",partition="0"} 0`);
    expect(metrics).toContain(
      `llmp_ingester_dead_lettered_records_total{topic="${topics.logsTopic}",reason="undecodable"} 1`,
    );
  });
});

// A downstream consumer that is not ours: the OpenTelemetry Collector's contrib kafkareceiver
// (otlp_proto) reads otlp_logs as the gateway wrote it and re-exports it over OTLP/HTTP.
describe.skipIf(brokers === '' || (!otelcolConsumerBinary && process.env.CI !== 'true'))(
  'an OpenTelemetry Collector reads otlp_logs',
  () => {
    it('gets every record the gateway wrote, with trace and span ids, event name and body', async () => {
      expect(otelcolConsumerBinary, 'run .ci/run (it builds the Collector consumer)').toBeDefined();
      const topics = isolatedTopics('logsotelcol');
      const gateway = track(await startGateway({ dataDir: `${dir.path}/c-gateway`, brokers, topics }));
      const { traceId, spanId } = await sendGenAiCall(
        gateway,
        'read-by-otelcol',
        new ProtoLogExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/logs` }),
        2,
      );
      const collector = await collectorReading({
        brokers,
        topic: topics.logsTopic,
        signal: 'logs',
        dir: dir.path,
      });
      try {
        const seen = await waitFor(
          async () =>
            collector.bodies.flatMap((body) =>
              decodeProtobufLogsRequest(body).resourceLogs.flatMap((rl) =>
                rl.scopeLogs.flatMap((sl) =>
                  sl.logRecords.map((r) => ({
                    service: rl.resource.attributes.find((a) => a.key === 'service.name')?.value,
                    scope: sl.scope.name,
                    traceId: r.traceId,
                    spanId: r.spanId,
                    eventName: r.eventName,
                    body: r.body,
                    messages: r.attributes.find((a) => a.key === 'gen_ai.input.messages')?.value.type,
                  })),
                ),
              ),
            ),
          (records) => records.length >= 3,
        );
        const service = { type: 'string', value: 'read-by-otelcol' };
        expect(seen, `the Collector said:\n${collector.stderr()}`).toHaveLength(3);
        expect(seen).toEqual(
          expect.arrayContaining([
            {
              service,
              scope: 'llmp-e2e',
              traceId,
              spanId,
              eventName: 'gen_ai.client.inference.operation.details',
              body: { type: 'empty' },
              messages: 'array',
            },
            ...[0, 1].map((i) => ({
              service,
              scope: 'llmp-e2e',
              traceId: '',
              spanId: '',
              eventName: '',
              body: { type: 'string', value: `untraced ${i}` },
              messages: undefined,
            })),
          ]),
        );
      } finally {
        await collector.stop();
      }
      expect(collector.stderr()).not.toMatch(/"level":"error"|\terror\t/);
    });
  },
);
