import {
  decodeJsonMetricsRequest,
  decodeProtobufMetricsRequest,
  type MetricBatch,
  type MetricsRequest,
  screenMetricsRequest,
} from '@llmp/otlp';
import {
  fixtureSpanId,
  fixtureTraceId,
  jsonMetricsFixture,
  mutatedBytes,
  protobufMetrics,
} from '@llmp/otlp/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metricRows } from './metricRows.ts';

const batchOf = (request: MetricsRequest, projectId = 'p1'): MetricBatch => ({
  projectId,
  request,
  dataPointCount: 0,
});
const rows = metricRows([
  batchOf(decodeJsonMetricsRequest(JSON.stringify(jsonMetricsFixture({ points: 2 })))),
]);
const first = (table: string) => rows.get(table as never)![0]!;

describe('metricRows', () => {
  it('puts each metric type in its Collector table, one row per data point', () => {
    expect([...rows].map(([table, r]) => [table, r.length])).toEqual([
      ['otel_metrics_sum', 2],
      ['otel_metrics_gauge', 2],
      ['otel_metrics_histogram', 2],
      ['otel_metrics_exponential_histogram', 2],
      ['otel_metrics_summary', 2],
    ]);
  });

  it('maps the series identity, project and job link (point before scope before resource)', () => {
    expect(first('otel_metrics_sum')).toMatchObject({
      project_id: 'p1',
      ServiceName: 'chat',
      MetricName: 'requests',
      MetricDescription: 'requests made',
      MetricUnit: '{request}',
      ScopeName: 'openai-v2',
      ScopeVersion: '2.4',
      ScopeAttributes: { 'scope.k': 'v' },
      ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      Attributes: { route: '/r0', 'llmp.job.id': 'point-job' },
      StartTimeUnix: '2023-11-14 22:13:20.000000000',
      TimeUnix: '2023-11-14 22:14:20.000000000',
      job_id: 'point-job',
    });
    // The gauge's points name no job: the resource's applies.
    expect(first('otel_metrics_gauge').job_id).toBe('resource-job');
  });

  it('keeps temporality, monotonicity, int values as doubles and exemplars of a sum', () => {
    expect(first('otel_metrics_sum')).toMatchObject({
      Value: 10,
      AggregationTemporality: 2,
      IsMonotonic: true,
      'Exemplars.Value': [3],
      'Exemplars.TraceId': [fixtureTraceId],
      'Exemplars.SpanId': [fixtureSpanId],
      'Exemplars.FilteredAttributes': [{ user: 'u1' }],
      'Exemplars.TimeUnix': ['2023-11-14 22:13:50.000000000'],
    });
    expect(first('otel_metrics_gauge')).toMatchObject({ Value: 2.5, 'Exemplars.Value': [] });
    expect(first('otel_metrics_gauge')).not.toHaveProperty('IsMonotonic');
  });

  it('writes histogram, exponential histogram and summary columns, 64-bit counts as decimal text', () => {
    expect(first('otel_metrics_histogram')).toMatchObject({
      Count: '3',
      Sum: 1.5,
      BucketCounts: ['1', '2', '0'],
      ExplicitBounds: [0.5, 1],
      Min: 0.25,
      Max: 0.75,
      AggregationTemporality: 1,
    });
    expect(first('otel_metrics_exponential_histogram')).toMatchObject({
      Count: '6',
      Scale: 3,
      ZeroCount: '1',
      ZeroThreshold: 0.001,
      PositiveOffset: -2,
      PositiveBucketCounts: ['2', '3'],
      NegativeOffset: 1,
      NegativeBucketCounts: [],
      AggregationTemporality: 1,
    });
    expect(first('otel_metrics_summary')).toMatchObject({
      Count: '4',
      Sum: 10,
      'ValueAtQuantiles.Quantile': [0, 0.5, 1],
      'ValueAtQuantiles.Value': [1, 2, 5],
    });
  });

  it('sends NaN and infinities as the text ClickHouse reads, and a 2^64-1 count exactly', () => {
    const fixture = jsonMetricsFixture();
    const metrics = fixture.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    const histogram = metrics[2]!.histogram!.dataPoints[0]!;
    histogram.sum = 'NaN' as never;
    histogram.min = '-Infinity' as never;
    histogram.count = '18446744073709551615';
    const [row] = metricRows([batchOf(decodeJsonMetricsRequest(JSON.stringify(fixture)))]).get(
      'otel_metrics_histogram',
    )!;
    expect(row).toMatchObject({ Sum: 'nan', Min: '-inf', Count: '18446744073709551615' });
  });

  it('gives rows JSON can carry for whatever screened request mutated bytes decode to', () => {
    const bytes = protobufMetrics(jsonMetricsFixture({ points: 2 }));
    fc.assert(
      fc.property(mutatedBytes(bytes), (mutated) => {
        let request: MetricsRequest;
        try {
          request = decodeProtobufMetricsRequest(mutated);
        } catch {
          return;
        }
        const screening = screenMetricsRequest(request);
        const all = [...metricRows([batchOf(screening.accepted)]).values()].flat();
        expect(all).toHaveLength(screening.acceptedDataPoints);
        // JSON.stringify throws on bigint: a row it cannot write would fail the whole insert.
        expect(() => JSON.stringify(all)).not.toThrow();
      }),
      { numRuns: 1000, seed: 20261205 },
    );
  });
});
