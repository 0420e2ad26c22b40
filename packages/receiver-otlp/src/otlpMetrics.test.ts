import { gzipSync } from 'node:zlib';
import type { MetricBatch } from '@llmp/otlp';
import { jsonMetricsFixture, protobufMetrics } from '@llmp/otlp/testing';
import { type Consumer, retryable } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { otlpHttpApp } from './otlpHttpApp.ts';

function sink(): Consumer<MetricBatch> & { batches: MetricBatch[] } {
  const batches: MetricBatch[] = [];
  return {
    batches,
    async consume(batch) {
      batches.push(batch);
    },
  };
}

const post = (
  app: ReturnType<typeof otlpHttpApp>,
  body: string | Uint8Array,
  headers: Record<string, string>,
) => app.request('/v1/metrics', { method: 'POST', headers, body });

describe('POST /v1/metrics', () => {
  it('takes OTLP/JSON, hands on the good points and answers the bad one as a partial success', async () => {
    const next = sink();
    const app = otlpHttpApp({ metrics: next, maxBodySize: 1 << 20 });
    const fixture = jsonMetricsFixture({ points: 2 });
    fixture.resourceMetrics[0]!.scopeMetrics[0]!.metrics[2]!.histogram!.dataPoints[0]!.bucketCounts = ['1'];
    const res = await post(app, JSON.stringify(fixture), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedDataPoints).toBe('1');
    expect(body.partialSuccess.errorMessage).toContain('bucket counts');
    expect(next.batches).toHaveLength(1);
    expect(next.batches[0]).toMatchObject({ projectId: 'default', dataPointCount: 9 });
  });

  it('takes gzipped OTLP/protobuf and answers an empty ExportMetricsServiceResponse', async () => {
    const next = sink();
    const app = otlpHttpApp({ metrics: next, maxBodySize: 1 << 20 });
    const res = await post(app, gzipSync(protobufMetrics(jsonMetricsFixture({ points: 3 }))), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toHaveLength(0);
    expect(next.batches[0]!.dataPointCount).toBe(15);
    const types = next.batches[0]!.request.resourceMetrics[0]!.scopeMetrics[0]!.metrics.map(
      (m) => m.data.type,
    );
    expect(types).toEqual(['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary']);
  });

  it('refuses bad bytes and a point past the attribute bound with 400, and a store failure with 503', async () => {
    const values = { maxValueDepth: 4, maxAttributes: 1, maxValueElements: 10, maxDecodedBytes: 1 << 20 };
    const bounded = otlpHttpApp({ metrics: sink(), maxBodySize: 1 << 20, values });
    const refused = await post(bounded, JSON.stringify(jsonMetricsFixture()), {
      'content-type': 'application/json',
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toContain('maxAttributes');
    const garbage = await post(bounded, new Uint8Array([0x0a, 0xff, 0xff]), {
      'content-type': 'application/x-protobuf',
    });
    expect(garbage.status).toBe(400);

    const down = otlpHttpApp({
      metrics: {
        consume: async () => {
          throw retryable('store down');
        },
      },
      maxBodySize: 1 << 20,
    });
    const unavailable = await post(down, protobufMetrics(jsonMetricsFixture()), {
      'content-type': 'application/x-protobuf',
    });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
  });

  it("files the points under the project of the caller's key and refuses a request without one (401)", async () => {
    const next = sink();
    const app = otlpHttpApp({
      metrics: next,
      maxBodySize: 1 << 20,
      authenticate: (key) =>
        key
          ? { ok: true, caller: { projectId: `p-${key}`, role: 'ingest' } }
          : { ok: false, reason: 'unauthenticated', message: 'no key' },
    });
    const body = protobufMetrics(jsonMetricsFixture());
    const keyed = await post(app, body, {
      'content-type': 'application/x-protobuf',
      authorization: 'Bearer acme',
    });
    const none = await post(app, body, { 'content-type': 'application/x-protobuf' });
    expect([keyed.status, none.status]).toEqual([200, 401]);
    expect(next.batches.map((b) => b.projectId)).toEqual(['p-acme']);
  });

  it('is not served without a metrics pipeline (404), as the Collector registers only configured signals', async () => {
    const app = otlpHttpApp({ next: sink() as never, maxBodySize: 1 << 20 });
    const res = await post(app, protobufMetrics(jsonMetricsFixture()), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(404);
  });
});
