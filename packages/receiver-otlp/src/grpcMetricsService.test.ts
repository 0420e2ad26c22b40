import * as grpc from '@grpc/grpc-js';
import { type MetricBatch, metricsProtoTypes, type TraceBatch } from '@llmp/otlp';
import { jsonMetricsFixture, protobufMetrics } from '@llmp/otlp/testing';
import { type Consumer, createLogger, Registry, retryable } from '@llmp/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsServiceDefinition } from './grpcMetricsService.ts';
import { type OtlpReceiver, otlpReceiverFactory } from './otlpReceiver.ts';
import { otlpReceiverConfig } from './otlpReceiverConfig.ts';

const registry = new Registry();
const settings = { id: 'otlp', logger: createLogger({ level: 'silent' }), registry };
const config = otlpReceiverConfig.parse({
  grpc: { endpoint: '127.0.0.1:0' },
  http: { endpoint: '127.0.0.1:0' },
});
const MetricsServiceClient = grpc.makeGenericClientConstructor(metricsServiceDefinition, 'MetricsService');

function exportCall(client: grpc.Client, body: Uint8Array) {
  return new Promise<{ error: grpc.ServiceError | null; response?: Buffer }>((resolve) => {
    (client as unknown as Record<string, (...args: unknown[]) => unknown>).Export!(
      Buffer.from(body),
      (error: grpc.ServiceError | null, response?: Buffer) => resolve({ error, response }),
    );
  });
}

/** The fixture with the first sum point's exemplar carrying a 2-byte trace id. */
function withBadExemplar(): Uint8Array {
  const fixture = jsonMetricsFixture({ points: 2 });
  fixture.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints[0]!.exemplars[0]!.traceId = 'abcd';
  return protobufMetrics(fixture);
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values ?? []).find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return Number(value?.value ?? 0);
}

describe('MetricsService/Export on the otlp receiver', () => {
  const points: MetricBatch[] = [];
  let failWith: unknown;
  const metricsSink: Consumer<MetricBatch> = {
    async consume(batch) {
      if (failWith) throw failWith;
      points.push(batch);
    },
  };
  const traces: Consumer<TraceBatch> = { consume: async () => {} };
  let receiver: OtlpReceiver;
  let client: grpc.Client;

  beforeAll(async () => {
    receiver = otlpReceiverFactory.create(settings, config, { traces, metrics: metricsSink });
    await receiver.start();
    client = new MetricsServiceClient(
      `127.0.0.1:${receiver.ports().grpc}`,
      grpc.credentials.createInsecure(),
    );
  });
  afterAll(async () => {
    client?.close();
    await receiver?.shutdown();
  });

  it('hands the points on, reports a bad exemplar as a partial success and counts both', async () => {
    const { error, response } = await exportCall(client, withBadExemplar());
    expect(error).toBeNull();
    const { response: type } = metricsProtoTypes();
    expect(type.toObject(type.decode(response!), { longs: Number })).toMatchObject({
      partialSuccess: { rejectedDataPoints: 1 },
    });
    expect(points.at(-1)!.dataPointCount).toBe(9);
    const labels = { receiver: 'otlp', transport: 'grpc' };
    expect(await counter('llmp_receiver_accepted_metric_points_total', labels)).toBe(9);
    expect(await counter('llmp_receiver_refused_metric_points_total', { ...labels, reason: 'invalid' })).toBe(
      1,
    );
  });

  it('answers INVALID_ARGUMENT to bytes that are no message and UNAVAILABLE when the store is down', async () => {
    const bad = await exportCall(client, new Uint8Array([0x0a, 0xff, 0xff]));
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    failWith = retryable('store down');
    const down = await exportCall(client, protobufMetrics(jsonMetricsFixture()));
    failWith = undefined;
    expect(down.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('is UNIMPLEMENTED on a receiver without a metrics pipeline', async () => {
    const tracesOnly = otlpReceiverFactory.create({ ...settings, registry: new Registry() }, config, traces);
    await tracesOnly.start();
    const other = new MetricsServiceClient(
      `127.0.0.1:${tracesOnly.ports().grpc}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const { error } = await exportCall(other, protobufMetrics(jsonMetricsFixture()));
      expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      other.close();
      await tracesOnly.shutdown();
    }
  });
});
