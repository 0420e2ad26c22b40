import { invalidQueryResponse, pageResponse } from './openApiResponses.ts';
import { otelMetricsParams } from './otelMetricsRoutes.ts';
import { queryParameters } from './queryParameters.ts';

const map = { type: 'object', additionalProperties: { type: 'string' } } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const counts = { type: 'array', items: { type: 'integer' } } as const;

const metricPoint = {
  type: 'object',
  description:
    'One OTLP data point. Every point has the fields up to `flags`; the others depend on `type` (value: sum, gauge; count, sum: histograms and summary; buckets: histograms; quantiles: summary; exemplars: all but summary). NaN is null.',
  properties: {
    type: { type: 'string', enum: ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary'] },
    name: { type: 'string' },
    description: { type: 'string' },
    unit: { type: 'string' },
    serviceName: { type: 'string' },
    timeUnixNano: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    startTime: { type: 'string', format: 'date-time' },
    attributes: map,
    resourceAttributes: map,
    scope: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
    jobId: { type: ['string', 'null'] },
    flags: { type: 'integer' },
    value: nullableNumber,
    aggregationTemporality: { type: 'string', enum: ['unspecified', 'delta', 'cumulative'] },
    isMonotonic: { type: 'boolean' },
    count: { type: 'integer' },
    sum: nullableNumber,
    min: nullableNumber,
    max: nullableNumber,
    bucketCounts: counts,
    explicitBounds: { type: 'array', items: nullableNumber },
    scale: { type: 'integer' },
    zeroCount: { type: 'integer' },
    zeroThreshold: nullableNumber,
    positive: { type: 'object', properties: { offset: { type: 'integer' }, bucketCounts: counts } },
    negative: { type: 'object', properties: { offset: { type: 'integer' }, bucketCounts: counts } },
    quantiles: {
      type: 'array',
      items: { type: 'object', properties: { quantile: nullableNumber, value: nullableNumber } },
    },
    exemplars: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          time: { type: 'string', format: 'date-time' },
          value: nullableNumber,
          traceId: { type: 'string' },
          spanId: { type: 'string' },
          filteredAttributes: map,
        },
      },
    },
  },
};

const responses = { '200': pageResponse('items', metricPoint), '400': invalidQueryResponse };

/**
 * The OpenAPI paths of `GET /v1/otel-metrics` and `GET /v1/jobs/{id}/otel-metrics`, their
 * parameters generated from the schema that validates them.
 * @example const paths = { ...logsOpenApiPaths(), ...otelMetricsOpenApiPaths() };
 */
export function otelMetricsOpenApiPaths(): Record<string, unknown> {
  const parameters = queryParameters(otelMetricsParams, { explode: ['attribute'] });
  return {
    '/v1/otel-metrics': {
      get: {
        summary: 'Search OTLP metric data points',
        description:
          'Data points received on /v1/metrics or MetricsService (e.g. gen_ai.client.token.usage, gen_ai.client.operation.duration), newest first, from the otel_metrics_* tables; default time range the last 24 hours. `attribute=key=value` (repeatable, all must match) filters on the point attributes. One page per call; pass `next_cursor` back as `cursor`. Not `/v1/metrics`: that is the span aggregates.',
        parameters,
        responses,
      },
    },
    '/v1/jobs/{id}/otel-metrics': {
      get: {
        summary: "A job's OTLP metric data points",
        description:
          'The data points that carry the job id (`llmp.job.id` on the point, its scope or its resource), as `GET /v1/otel-metrics?jobId=`; empty for a job no metric names.',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          ...parameters.filter((p) => p.name !== 'jobId'),
        ],
        responses,
      },
    },
  };
}
