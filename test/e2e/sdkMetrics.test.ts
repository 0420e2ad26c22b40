import type { StoredMetricPoint } from '@llmp/clickhouse';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

// The real OpenTelemetry JS metrics SDK and its three OTLP exporters into `llmp start`: every
// instrument kind, both temporalities, an exponential histogram view, a job id on the points.

const dir = tempDir('sdk-metrics');
let llmp: LlmpProcess;

beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
});

/** Shut down after the suite: a shutdown exports once more. */
const providers: MeterProvider[] = [];

afterAll(async () => {
  await Promise.all(providers.map((p) => p.shutdown()));
  expect(await llmp?.stop()).toBe(0);
  dir.remove();
});

const exporters: Array<[string, () => PushMetricExporter, 'delta' | 'cumulative']> = [
  [
    'OTLP/HTTP JSON (exporter-metrics-otlp-http), delta',
    () =>
      new JsonMetricExporter({
        url: `http://127.0.0.1:${llmp.httpPort}/v1/metrics`,
        temporalityPreference: AggregationTemporalityPreference.DELTA,
      }),
    'delta',
  ],
  [
    'OTLP/HTTP protobuf with gzip (exporter-metrics-otlp-proto), cumulative',
    () =>
      new ProtoMetricExporter({
        url: `http://127.0.0.1:${llmp.httpPort}/v1/metrics`,
        compression: 'gzip' as never,
      }),
    'cumulative',
  ],
  [
    'OTLP/gRPC (exporter-metrics-otlp-grpc), cumulative',
    () => new GrpcMetricExporter({ url: `http://127.0.0.1:${llmp.grpcPort}` }),
    'cumulative',
  ],
];

async function pointsOf(query: string): Promise<StoredMetricPoint[]> {
  const points: StoredMetricPoint[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const res = await llmp.api(`/v1/otel-metrics?${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { items: StoredMetricPoint[]; next_cursor: string | null };
    points.push(...page.items);
    cursor = page.next_cursor;
  }
  return points;
}

describe.each(exporters)('%s', (label, makeExporter, temporality) => {
  it('stores every instrument kind and reads it back from /v1/otel-metrics', async () => {
    const service = `metrics-${label.replace(/\W+/g, '-')}`;
    const jobId = `job-${service}`;
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      views: [
        { instrumentName: 'llm.latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
        {
          instrumentName: 'gen_ai.client.operation.duration',
          aggregation: {
            type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
            options: { boundaries: [0.5, 1, 2] },
          },
        },
      ],
      // A long interval: the test flushes itself, once.
      readers: [
        new PeriodicExportingMetricReader({ exporter: makeExporter(), exportIntervalMillis: 600_000 }),
      ],
    });
    const meter = provider.getMeter('llmp-e2e', '1.0.0');
    const attributes = { 'gen_ai.request.model': 'gpt-4o', 'llmp.job.id': jobId };
    meter.createCounter('llm.requests', { unit: '{request}' }).add(3, attributes);
    meter.createUpDownCounter('llm.in_flight').add(-2, attributes);
    const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
    for (const seconds of [0.25, 0.75, 1.5]) duration.record(seconds, attributes);
    const exponential = meter.createHistogram('llm.latency.exp', { unit: 'ms' });
    for (const ms of [1, 2, 4, 8]) exponential.record(ms, attributes);
    meter.createGauge('llm.queue.depth').record(7, attributes);
    // forceFlush rejects when the export fails: the receiver answered success. (Shutdown
    // exports once more, a cumulative series a second point: only after the reads.)
    await provider.forceFlush();
    providers.push(provider);

    const points = await pointsOf(`service=${service}`);
    const byName = (name: string) => points.filter((p) => p.name === name);
    expect(points.map((p) => p.name).sort()).toEqual([
      'gen_ai.client.operation.duration',
      'llm.in_flight',
      'llm.latency.exp',
      'llm.queue.depth',
      'llm.requests',
    ]);
    expect(byName('llm.requests')[0]).toMatchObject({
      type: 'sum',
      value: 3,
      isMonotonic: true,
      aggregationTemporality: temporality,
      unit: '{request}',
      jobId,
      scope: { name: 'llmp-e2e', version: '1.0.0' },
      attributes: { 'gen_ai.request.model': 'gpt-4o' },
    });
    // Up-down counters are cumulative whatever the preference (the SDK's delta selector).
    expect(byName('llm.in_flight')[0]).toMatchObject({ type: 'sum', value: -2, isMonotonic: false });
    expect(byName('gen_ai.client.operation.duration')[0]).toMatchObject({
      type: 'histogram',
      count: 3,
      sum: 2.5,
      min: 0.25,
      max: 1.5,
      explicitBounds: [0.5, 1, 2],
      bucketCounts: [1, 1, 1, 0],
      aggregationTemporality: temporality,
    });
    const exp = byName('llm.latency.exp')[0]!;
    expect(exp).toMatchObject({ type: 'exponentialHistogram', count: 4, sum: 15, min: 1, max: 8 });
    expect(exp.positive!.bucketCounts.reduce((a, b) => a + b, 0) + exp.zeroCount!).toBe(4);
    expect(byName('llm.queue.depth')[0]).toMatchObject({ type: 'gauge', value: 7 });

    // Per job: the points carrying its id, through the job route and the filter alike.
    const job = await llmp.api(`/v1/jobs/${encodeURIComponent(jobId)}/otel-metrics?limit=500`);
    expect(job.status).toBe(200);
    expect(((await job.json()) as { items: StoredMetricPoint[] }).items).toHaveLength(5);
    expect(await pointsOf(`jobId=${encodeURIComponent(jobId)}&type=histogram`)).toHaveLength(1);
  });
});
