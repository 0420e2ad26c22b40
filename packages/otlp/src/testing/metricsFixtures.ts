import { metricsProtoTypes } from '../metricsProtoTypes.ts';

export const fixtureTraceId = '5b8efff798038103d269b633813fc60c';
export const fixtureSpanId = 'eee19b7ec3c1b174';

const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
const t0 = '1700000000000000000';
const t1 = '1700000060000000000';

type Points<P> = { dataPoints: Array<P & Record<string, unknown>> } & Record<string, unknown>;

/** The fixture's shape, loose enough for tests to break one field of it. */
export interface MetricsFixture {
  resourceMetrics: Array<{
    scopeMetrics: Array<{
      metrics: Array<{
        name: string;
        sum?: Points<{ exemplars: Array<{ traceId: string }> }>;
        histogram?: Points<{ bucketCounts?: string[]; sum?: number; min?: number }>;
        summary?: Points<{ quantileValues: Array<{ quantile: number }> }>;
      }>;
    }>;
  }>;
}

/**
 * An OTLP/JSON ExportMetricsServiceRequest with one metric of each type (sum, gauge, histogram,
 * exponential histogram, summary), exemplars, both temporalities and a job id on a point, as an
 * SDK would send it. `points` data points per metric.
 * @example const body = JSON.stringify(jsonMetricsFixture());
 */
export function jsonMetricsFixture({ points = 1 }: { points?: number } = {}): MetricsFixture {
  const range = Array.from({ length: points }, (_, i) => i);
  const exemplar = {
    filteredAttributes: [attr('user', 'u1')],
    timeUnixNano: '1700000030000000000',
    asDouble: 0.42,
    traceId: fixtureTraceId,
    spanId: fixtureSpanId,
  };
  const fixture = {
    resourceMetrics: [
      {
        resource: { attributes: [attr('service.name', 'chat'), attr('llmp.job.id', 'resource-job')] },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeMetrics: [
          {
            scope: { name: 'openai-v2', version: '2.4', attributes: [attr('scope.k', 'v')] },
            metrics: [
              {
                name: 'requests',
                description: 'requests made',
                unit: '{request}',
                sum: {
                  aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                  isMonotonic: true,
                  dataPoints: range.map((i) => ({
                    attributes: [attr('route', `/r${i}`), attr('llmp.job.id', 'point-job')],
                    startTimeUnixNano: t0,
                    timeUnixNano: t1,
                    asInt: String(10 + i),
                    exemplars: [{ ...exemplar, asDouble: undefined, asInt: '3' }],
                  })),
                },
              },
              {
                name: 'queue.depth',
                unit: '1',
                gauge: {
                  dataPoints: range.map((i) => ({
                    attributes: [attr('q', `${i}`)],
                    timeUnixNano: t1,
                    asDouble: 2.5,
                  })),
                },
              },
              {
                name: 'gen_ai.client.operation.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: 1,
                  dataPoints: range.map((i) => ({
                    attributes: [attr('gen_ai.request.model', 'gpt-4o'), attr('n', `${i}`)],
                    startTimeUnixNano: t0,
                    timeUnixNano: t1,
                    count: '3',
                    sum: 1.5,
                    bucketCounts: ['1', '2', '0'],
                    explicitBounds: [0.5, 1],
                    min: 0.25,
                    max: 0.75,
                    exemplars: [exemplar],
                  })),
                },
              },
              {
                name: 'latency.exp',
                unit: 'ms',
                exponentialHistogram: {
                  aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
                  dataPoints: range.map((i) => ({
                    attributes: [attr('n', `${i}`)],
                    startTimeUnixNano: t0,
                    timeUnixNano: t1,
                    count: '6',
                    sum: 30,
                    scale: 3,
                    zeroCount: '1',
                    zeroThreshold: 0.001,
                    positive: { offset: -2, bucketCounts: ['2', '3'] },
                    negative: { offset: 1, bucketCounts: [] },
                    min: 0,
                    max: 12,
                  })),
                },
              },
              {
                name: 'rpc.summary',
                unit: 'ms',
                summary: {
                  dataPoints: range.map((i) => ({
                    attributes: [attr('n', `${i}`)],
                    startTimeUnixNano: t0,
                    timeUnixNano: t1,
                    count: '4',
                    sum: 10,
                    quantileValues: [
                      { quantile: 0, value: 1 },
                      { quantile: 0.5, value: 2 },
                      { quantile: 1, value: 5 },
                    ],
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
  return fixture as unknown as MetricsFixture;
}

/** The protobuf form of an OTLP/JSON metrics object: hex ids become bytes. */
function protobufObject(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => protobufObject(v));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, protobufObject(v, k)]));
  if ((key === 'traceId' || key === 'spanId') && typeof value === 'string') return Buffer.from(value, 'hex');
  return value;
}

/**
 * The OTLP/protobuf encoding of an OTLP/JSON metrics request object (jsonMetricsFixture).
 * @example const bytes = protobufMetrics(jsonMetricsFixture());
 */
export function protobufMetrics(json: MetricsFixture | Record<string, unknown>): Uint8Array {
  const { request } = metricsProtoTypes();
  return request.encode(request.fromObject(protobufObject(json) as Record<string, unknown>)).finish();
}
