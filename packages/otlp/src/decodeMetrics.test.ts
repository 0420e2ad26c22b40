import { describe, expect, it } from 'vitest';
import { checkMetricsLimits } from './checkMetricsLimits.ts';
import { decodeJsonMetricsRequest } from './decodeJsonMetrics.ts';
import { decodeProtobufMetricsRequest } from './decodeProtobufMetrics.ts';
import { mergeMetricBatches } from './mergeMetricBatches.ts';
import { metricBatchFromBytes } from './metricBatchFromBytes.ts';
import { countDataPoints, type MetricsRequest } from './metricsModel.ts';
import { metricsProtoTypes } from './metricsProtoTypes.ts';
import { encodeMetricsResponse, jsonMetricsResponse } from './metricsResponse.ts';
import { screenMetricsRequest } from './screenMetricsRequest.ts';
import {
  fixtureSpanId,
  fixtureTraceId,
  jsonMetricsFixture,
  protobufMetrics,
} from './testing/metricsFixtures.ts';
import { defaultValueLimits } from './valueLimits.ts';

const fixture = jsonMetricsFixture({ points: 2 });
const fromJson = decodeJsonMetricsRequest(JSON.stringify(fixture), defaultValueLimits);
const fromProtobuf = decodeProtobufMetricsRequest(protobufMetrics(fixture));
const metricsOf = (request: MetricsRequest) => request.resourceMetrics[0]!.scopeMetrics[0]!.metrics;

describe('OTLP metrics decoding', () => {
  it('decodes every metric type the same from OTLP/JSON and OTLP/protobuf', () => {
    expect(fromProtobuf).toEqual(fromJson);
    expect(metricsOf(fromJson).map((m) => m.data.type)).toEqual([
      'sum',
      'gauge',
      'histogram',
      'exponentialHistogram',
      'summary',
    ]);
    expect(countDataPoints(fromJson)).toBe(10);
  });

  it('keeps temporality, monotonicity, int values and exemplars of a sum', () => {
    const sum = metricsOf(fromProtobuf)[0]!;
    expect(sum.data).toMatchObject({ type: 'sum', aggregationTemporality: 2, isMonotonic: true });
    const point = sum.data.type === 'sum' ? sum.data.dataPoints[1]! : undefined;
    expect(point).toMatchObject({ value: 11, startTimeUnixNano: 1700000000000000000n });
    expect(point!.exemplars[0]).toMatchObject({ value: 3, traceId: fixtureTraceId, spanId: fixtureSpanId });
  });

  it('keeps histogram buckets, bounds, min and max, and absent sum as absent', () => {
    const histogram = metricsOf(fromProtobuf)[2]!.data;
    expect(histogram).toMatchObject({ type: 'histogram', aggregationTemporality: 1 });
    expect(histogram.dataPoints[0]).toMatchObject({
      count: 3n,
      sum: 1.5,
      bucketCounts: [1n, 2n, 0n],
      explicitBounds: [0.5, 1],
      min: 0.25,
      max: 0.75,
    });
    const withoutSum = structuredClone(fixture) as ReturnType<typeof jsonMetricsFixture>;
    const metric = (
      withoutSum as { resourceMetrics: { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[] }
    ).resourceMetrics[0]!.scopeMetrics[0]!.metrics[2]!;
    for (const p of (metric.histogram as { dataPoints: Record<string, unknown>[] }).dataPoints) {
      delete p.sum;
      delete p.min;
    }
    const decoded = metricsOf(decodeProtobufMetricsRequest(protobufMetrics(withoutSum)))[2]!.data
      .dataPoints[0];
    expect(decoded).toMatchObject({ sum: undefined, min: undefined, max: 0.75 });
  });

  it('keeps exponential histogram scale, zero bucket and signed offsets, and summary quantiles', () => {
    const exponential = metricsOf(fromJson)[3]!.data;
    expect(exponential).toMatchObject({ type: 'exponentialHistogram', aggregationTemporality: 1 });
    expect(exponential.dataPoints[0]).toMatchObject({
      scale: 3,
      zeroCount: 1n,
      zeroThreshold: 0.001,
      positive: { offset: -2, bucketCounts: [2n, 3n] },
      negative: { offset: 1, bucketCounts: [] },
    });
    expect(metricsOf(fromJson)[4]!.data.dataPoints[0]).toMatchObject({
      count: 4n,
      sum: 10,
      quantileValues: [
        { quantile: 0, value: 1 },
        { quantile: 0.5, value: 2 },
        { quantile: 1, value: 5 },
      ],
    });
  });

  it('refuses a metric with two data fields and a wrong type, naming the field', () => {
    const two = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', gauge: {}, sum: {} }] }] }] };
    expect(() => decodeJsonMetricsRequest(JSON.stringify(two))).toThrow(/one data field, got gauge and sum/);
    const wrong = {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', sum: { isMonotonic: 'yes' } }] }] }],
    };
    expect(() => decodeJsonMetricsRequest(JSON.stringify(wrong))).toThrow(
      /sum\.isMonotonic: expected true or false/,
    );
  });

  it('refuses bucket lists past maxValueElements as a limit', () => {
    const bounds = { ...defaultValueLimits, maxValueElements: 2 };
    expect(() => checkMetricsLimits(fromJson, 0, bounds)).toThrow(/bucketCounts: more than 2 elements/);
  });
});

describe('screenMetricsRequest', () => {
  it('passes a valid request whole', () => {
    const screening = screenMetricsRequest(fromJson);
    expect(screening).toMatchObject({ acceptedDataPoints: 10, rejectedDataPoints: 0, errorMessage: '' });
    expect(screening.accepted).toEqual(fromJson);
  });

  it('rejects points without a metric name, with bad exemplar ids, misfit buckets or quantiles', () => {
    const bad = structuredClone(fixture);
    const metrics = bad.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    metrics[0]!.sum!.dataPoints[0]!.exemplars[0]!.traceId = 'abcd';
    metrics[1]!.name = '';
    metrics[2]!.histogram!.dataPoints[1]!.bucketCounts = ['1'];
    metrics[4]!.summary!.dataPoints[0]!.quantileValues[0]!.quantile = 1.5;
    const screening = screenMetricsRequest(decodeJsonMetricsRequest(JSON.stringify(bad)));
    expect(screening.rejectedDataPoints).toBe(5);
    expect(screening.acceptedDataPoints).toBe(5);
    expect(screening.errorMessage).toMatch(/^5 data points rejected; first: exemplar with trace id "abcd"/);
    const kept = metricsOf(screening.accepted);
    // The nameless gauge lost both its points and is gone.
    expect(kept.map((m) => [m.name, m.data.dataPoints.length])).toEqual([
      ['requests', 1],
      ['gen_ai.client.operation.duration', 1],
      ['latency.exp', 2],
      ['rpc.summary', 1],
    ]);
  });

  it('answers partial success in both encodings only when something was rejected', () => {
    const { response } = metricsProtoTypes();
    expect(encodeMetricsResponse({ rejectedDataPoints: 0, errorMessage: '' })).toHaveLength(0);
    const decoded = response.toObject(
      response.decode(encodeMetricsResponse({ rejectedDataPoints: 2, errorMessage: 'bad' })),
      { longs: Number },
    );
    expect(decoded).toEqual({ partialSuccess: { rejectedDataPoints: 2, errorMessage: 'bad' } });
    expect(jsonMetricsResponse({ rejectedDataPoints: 2, errorMessage: 'bad' })).toEqual({
      partialSuccess: { rejectedDataPoints: '2', errorMessage: 'bad' },
    });
  });
});

describe('metricBatchFromBytes (a Kafka otlp_metrics record, for the ingester)', () => {
  it('makes the screened batch from otlp_proto and otlp_json bytes, keeping the dedup token', () => {
    const bad = structuredClone(fixture);
    bad.resourceMetrics[0]!.scopeMetrics[0]!.metrics[1]!.name = '';
    const proto = metricBatchFromBytes(protobufMetrics(bad), {
      projectId: 'p',
      meta: { dedupToken: 't:0:1-2' },
    });
    expect(proto).toMatchObject({ rejectedDataPoints: 2, batch: { projectId: 'p', dataPointCount: 8 } });
    expect(proto.batch.meta?.dedupToken).toBe('t:0:1-2');
    const json = metricBatchFromBytes(Buffer.from(JSON.stringify(bad)), { projectId: 'p', encoding: 'json' });
    expect(json.batch.request).toEqual(proto.batch.request);
    expect(() => metricBatchFromBytes(new Uint8Array([0x0a, 0xff]), { projectId: 'p' })).toThrow(
      /invalid OTLP protobuf/,
    );
  });
});

describe('mergeMetricBatches', () => {
  it('joins the batches of each project, a token per project', () => {
    const bytes = protobufMetrics(fixture);
    const of = (projectId: string) => metricBatchFromBytes(bytes, { projectId }).batch;
    const merged = mergeMetricBatches([of('a'), of('b'), of('a')], { dedupToken: 'otlp_metrics:3:7-9' });
    expect(
      merged.map((b) => [
        b.projectId,
        b.dataPointCount,
        b.request.resourceMetrics.length,
        b.meta?.dedupToken,
      ]),
    ).toEqual([
      ['a', 20, 2, 'otlp_metrics:3:7-9:a'],
      ['b', 10, 1, 'otlp_metrics:3:7-9:b'],
    ]);
    expect(countDataPoints(merged[0]!.request)).toBe(20);
    expect(mergeMetricBatches([of('a')])[0]!.meta).toBeUndefined();
  });
});
