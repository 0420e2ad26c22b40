import { randomBytes } from 'node:crypto';
import type { StoredMetricPoint } from '@llmp/clickhouse';
import { jsonMetricsToProtobuf, metricsProtoTypes } from '@llmp/otlp';
import { ValueType } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { allPages } from '../support/allPages.ts';
import { isolatedTopics, startGateway, startIngester } from '../support/distributedRoles.ts';
import { distributedSuite } from '../support/distributedSuite.ts';
import { javaCodecs, produceWithEveryCodec } from '../support/kafka/javaProducerCodecs.ts';
import { collectorReading, otelcolConsumerBinary } from '../support/kafka/otelcolConsumer.ts';
import { readTopic, waitFor } from '../support/kafkaTopicReader.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';

// Issue 18: OTLP metrics through the distributed roles — gateway → otlp_metrics (otlp_proto,
// keyed per service.name, the sender's own bytes) → ingester → otel_metrics_*, inserted
// effectively once.
const { brokers, dir, track, roles, crashBetweenInsertAndCommit } = distributedSuite('distributed-metrics');
/** Shut down after the suite: a shutdown exports once more (a cumulative series a second point). */
const providers: MeterProvider[] = [];
// Registered after the suite's own: hooks run in reverse, so this one comes before the roles stop.
afterAll(async () => {
  await Promise.all(providers.map((p) => p.shutdown().catch(() => undefined)));
});

/** The int sum points (as_int, as int64 strings) of `name` in an encoded request. */
function asInts(bytes: Uint8Array, name: string): string[] {
  const { request } = metricsProtoTypes();
  const value = request.toObject(request.decode(bytes), { longs: String }) as {
    resourceMetrics?: Array<{
      scopeMetrics?: Array<{
        metrics?: Array<{ name: string; sum?: { dataPoints?: Array<{ asInt?: string }> } }>;
      }>;
    }>;
  };
  return (value.resourceMetrics ?? []).flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) =>
      (sm.metrics ?? [])
        .filter((m) => m.name === name)
        .flatMap((m) => (m.sum?.dataPoints ?? []).map((p) => p.asInt ?? 'not an int')),
    ),
  );
}

/** Every stored point matching `query`, following the pages. */
const storedPoints = (api: Pick<LlmpProcess, 'api'>, query: string) =>
  allPages<StoredMetricPoint>(api, `/v1/otel-metrics?${query}`);

/**
 * With the real OpenTelemetry JS metrics SDK: an int counter (`tokens`, ValueType.INT, so the
 * exporter writes as_int), a double histogram and `extra` more int counters, flushed once.
 */
async function sendMetrics(service: string, exporter: PushMetricExporter, tokens: number, extra = 0) {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000 })],
  });
  const meter = provider.getMeter('llmp-e2e', '1.0.0');
  const attributes = { 'gen_ai.request.model': 'gpt-4o' };
  meter.createCounter('llm.tokens', { unit: '{token}', valueType: ValueType.INT }).add(tokens, attributes);
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
  for (const seconds of [0.25, 0.75, 1.5]) duration.record(seconds, attributes);
  for (let i = 0; i < extra; i++)
    meter.createCounter(`llm.extra.${i}`, { valueType: ValueType.INT }).add(i + 1, attributes);
  // forceFlush rejects when the export fails: the gateway answered success.
  await provider.forceFlush();
  providers.push(provider);
}

describe.skipIf(brokers === '')('OTLP metrics through gateway → Kafka → ingester', () => {
  it('stores SDK points sent as OTLP/HTTP JSON, protobuf and gRPC; the int sum exactly, as_int on the topic', async () => {
    const topics = isolatedTopics('metrics');
    const { gateway, ingester } = await roles('sdk', topics);
    // Before this change the gateway had no metrics pipeline: /v1/metrics answered 404.
    const http = `http://127.0.0.1:${gateway.httpPort}/v1/metrics`;
    const senders: Array<[string, PushMetricExporter, number]> = [
      ['dm-json', new JsonMetricExporter({ url: http }), 123_456_789],
      ['dm-proto', new ProtoMetricExporter({ url: http, compression: 'gzip' as never }), 2_147_483_649],
      ['dm-grpc', new GrpcMetricExporter({ url: `http://127.0.0.1:${gateway.grpcPort}` }), 42],
    ];
    for (const [service, exporter, tokens] of senders) await sendMetrics(service, exporter, tokens);

    // On the topic: one record per service, header llmp-project, as_int as the SDK sent it.
    const records = await readTopic(brokers, topics.metricsTopic, senders.length);
    expect(records.map((r) => r.key).sort()).toEqual(senders.map(([s]) => s).sort());
    for (const record of records) {
      expect(record.headers['llmp-project']).toBe('default');
      const sent = senders.find(([s]) => s === record.key)![2];
      expect(asInts(record.value, 'llm.tokens')).toEqual([String(sent)]);
    }

    for (const [service, , tokens] of senders) {
      const points = await waitFor(
        () => storedPoints(ingester, `service=${service}`),
        (p) => p.length >= 2,
      );
      const byName = Object.fromEntries(points.map((p) => [p.name, p]));
      expect(points).toHaveLength(2);
      expect(byName['llm.tokens']).toMatchObject({
        type: 'sum',
        value: tokens,
        isMonotonic: true,
        unit: '{token}',
        scope: { name: 'llmp-e2e', version: '1.0.0' },
        attributes: { 'gen_ai.request.model': 'gpt-4o' },
      });
      expect(byName['gen_ai.client.operation.duration']).toMatchObject({
        type: 'histogram',
        count: 3,
        sum: 2.5,
        min: 0.25,
        max: 1.5,
      });
    }
  });
});

describe.skipIf(brokers === '')('otlp_metrics redelivery', () => {
  it('after a crash between insert and commit and a restart, each point is stored once', async () => {
    const topics = isolatedTopics('metricsredelivery');
    const gateway = track(await startGateway({ dataDir: `${dir.path}/r-gateway`, brokers, topics }));
    const restarted = await crashBetweenInsertAndCommit('r', topics, () =>
      sendMetrics(
        'redelivered-metrics',
        new ProtoMetricExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/metrics` }),
        7,
        8,
      ),
    );
    const points = await waitFor(
      () => storedPoints(restarted, 'service=redelivered-metrics'),
      (p) => p.length >= 10,
    );
    // The re-inserted range carried the same token: ClickHouse dropped it, no point twice.
    expect(points).toHaveLength(10);
    expect(new Set(points.map((p) => p.name)).size).toBe(10);
    expect(await restarted.stop('SIGTERM')).toBe(0);
  });
});

describe.skipIf(brokers === '')('a metric over maxRecordBytes', () => {
  it('is cut between its data points into whole requests: every point on the topic and stored exactly once', async () => {
    const topics = isolatedTopics('metricswide');
    const maxRecordBytes = 4000;
    const gateway = track(
      await startGateway({ dataDir: `${dir.path}/w-gateway`, brokers, topics, maxRecordBytes }),
    );
    const ingester = track(await startIngester({ dataDir: `${dir.path}/w-ingester`, brokers, topics }));
    // One int counter of 300 series: one Metric of ~20 kB in one export request. Before, the
    // gateway refused it (400, "a metric of key wide-metric encodes to … over the record limit"):
    // the export failed and nothing was stored.
    const results: ExportResultCode[] = [];
    class RecordingExporter extends ProtoMetricExporter {
      override export(...[metrics, done]: Parameters<ProtoMetricExporter['export']>) {
        super.export(metrics, (result) => {
          results.push(result.code);
          done(result);
        });
      }
    }
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'wide-metric' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new RecordingExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/metrics` }),
          exportIntervalMillis: 600_000,
        }),
      ],
    });
    const counter = provider
      .getMeter('llmp-e2e', '1.0.0')
      .createCounter('llm.wide', { unit: '{token}', valueType: ValueType.INT });
    const series = Array.from({ length: 300 }, (_, i) => `series-${String(i).padStart(3, '0')}`);
    for (const [i, name] of series.entries())
      counter.add(i + 1, { series: name, 'gen_ai.request.model': 'gpt-4o' });
    await provider.forceFlush();
    providers.push(provider);
    expect(results).toEqual([ExportResultCode.SUCCESS]);

    const points = await waitFor(
      () => storedPoints(ingester, 'name=llm.wide'),
      (p) => p.length >= series.length,
    );
    expect(points.map((p) => p.attributes.series).sort()).toEqual(series);
    expect(points.every((p) => p.value === series.indexOf(p.attributes.series!) + 1)).toBe(true);
    expect(points.every((p) => p.unit === '{token}' && p.isMonotonic && p.scope.version === '1.0.0')).toBe(
      true,
    );

    // On the topic: several records of the service, each within the bound and a request of its
    // own, holding between them every point once.
    const records = await readTopic(brokers, topics.metricsTopic, series.length, 5_000);
    expect(records.length).toBeGreaterThan(1);
    expect(records.every((r) => r.key === 'wide-metric' && r.value.byteLength <= maxRecordBytes)).toBe(true);
    const values = records.flatMap((r) => asInts(r.value, 'llm.wide'));
    expect(values.map(Number).sort((a, b) => a - b)).toEqual(series.map((_, i) => i + 1));
  });
});

// Six JVM launches (one Java producer per codec and the junk record): a longer budget.
describe.skipIf(brokers === '')('otlp_metrics from any producer', () => {
  it('stores records the Java client wrote with every codec in otlp_proto and otlp_json; parks the unreadable and the unstorable on the metrics DLQ', {
    timeout: 240_000,
  }, async () => {
    const topics = isolatedTopics('metricsjava');
    const now = String(BigInt(Date.now()) * 1_000_000n);
    /** One OTLP/JSON metrics request (as the Collector's otlp_json writes): a gauge of `service`. */
    const jsonMetrics = (service: string, metricName = 'java.gauge') =>
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeMetrics: [
              {
                scope: { name: 'java' },
                metrics: [{ name: metricName, gauge: { dataPoints: [{ timeUnixNano: now, asInt: '5' }] } }],
              },
            ],
          },
        ],
      });
    const poison = randomBytes(40);
    poison[0] = 0xff;
    await produceWithEveryCodec({
      brokers,
      topic: topics.metricsTopic,
      records: (codec) => [
        {
          key: `java-${codec}-proto`,
          value: jsonMetricsToProtobuf(jsonMetrics(`java-${codec}-proto`)),
          headers: { 'llmp-project': 'default' },
        },
        { key: `java-${codec}-json`, value: new TextEncoder().encode(jsonMetrics(`java-${codec}-json`)) },
      ],
      last: [
        { key: 'junk', value: poison },
        // Every point refused by the screening (a metric without a name): nothing to store.
        { key: 'unnamed', value: new TextEncoder().encode(jsonMetrics('unnamed', '')) },
      ],
    });
    const ingester = track(await startIngester({ dataDir: `${dir.path}/java-ingester`, brokers, topics }));
    const expected = javaCodecs.flatMap((c) => [`java-${c}-proto`, `java-${c}-json`]).sort();
    const points = await waitFor(
      () => storedPoints(ingester, 'name=java.gauge'),
      (p) => new Set(p.map((r) => r.serviceName)).size >= expected.length,
    );
    expect(points.map((p) => p.serviceName).sort()).toEqual(expected);
    expect(points.every((p) => p.type === 'gauge' && p.value === 5)).toBe(true);
    const dlq = await readTopic(brokers, topics.metricsDeadLetterTopic, 2);
    expect(dlq.map((r) => r.key).sort()).toEqual(['junk', 'unnamed']);
    expect(dlq.find((r) => r.key === 'junk')!.value).toEqual(poison);
    expect(dlq[0]!.headers['llmp-dlq-topic']).toBe(topics.metricsTopic);
    const metrics = await waitFor(
      () => fetch(`http://127.0.0.1:${ingester.telemetryPort}/metrics`).then((r) => r.text()),
      (text) => text.includes(`llmp_ingester_lag_records{topic="${topics.metricsTopic}",partition="0"} 0`),
    );
    expect(metrics).toContain(
      `llmp_ingester_dead_lettered_records_total{topic="${topics.metricsTopic}",reason="undecodable"} 1`,
    );
    expect(metrics).toContain(
      `llmp_ingester_dead_lettered_records_total{topic="${topics.metricsTopic}",reason="invalid_data_points"} 1`,
    );
  });
});

// A downstream consumer that is not ours: the OpenTelemetry Collector's contrib kafkareceiver
// (otlp_proto) reads otlp_metrics as the gateway wrote it and re-exports it over OTLP/HTTP.
describe.skipIf(brokers === '' || (!otelcolConsumerBinary && process.env.CI !== 'true'))(
  'an OpenTelemetry Collector reads otlp_metrics',
  () => {
    it('gets every record the gateway wrote, the int sum still as_int', async () => {
      expect(otelcolConsumerBinary, 'run .ci/run (it builds the Collector consumer)').toBeDefined();
      const topics = isolatedTopics('metricsotelcol');
      const gateway = track(await startGateway({ dataDir: `${dir.path}/c-gateway`, brokers, topics }));
      await sendMetrics(
        'read-by-otelcol',
        new JsonMetricExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/metrics` }),
        2_147_483_649,
      );
      const collector = await collectorReading({
        brokers,
        topic: topics.metricsTopic,
        signal: 'metrics',
        dir: dir.path,
      });
      try {
        const seen = await waitFor(
          async () => collector.bodies.flatMap((body) => asInts(body, 'llm.tokens')),
          (points) => points.length >= 1,
        );
        expect(seen, `the Collector said:\n${collector.stderr()}`).toEqual(['2147483649']);
      } finally {
        await collector.stop();
      }
      expect(collector.stderr()).not.toMatch(/"level":"error"|\terror\t/);
    });
  },
);
