import type { Exemplar, Metric, MetricData, MetricsRequest } from './metricsModel.ts';

/** A metrics request with the data points that can never be stored taken out, and why. */
export interface MetricsScreening {
  accepted: MetricsRequest;
  acceptedDataPoints: number;
  rejectedDataPoints: number;
  errorMessage: string;
}

const hexOfLength = (id: string, length: number) =>
  id === '' || (id.length === length && /^[0-9a-f]+$/.test(id));

function exemplarProblem(exemplars: Exemplar[]): string | undefined {
  for (const e of exemplars) {
    if (!hexOfLength(e.traceId, 32) || !hexOfLength(e.spanId, 16))
      return `exemplar with trace id "${e.traceId}" / span id "${e.spanId}": ids must be 16 and 8 bytes`;
  }
  return undefined;
}

function increasing(bounds: number[]): boolean {
  for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) return false;
  return true;
}

/** Why a data point of `metric` cannot be stored, or undefined when it can (OTLP metrics data model). */
function pointProblem(metric: Metric, point: MetricData['dataPoints'][number]): string | undefined {
  // "Metric.name" is required: a point without one belongs to no time series.
  if (metric.name === '') return 'metric without a name';
  if ('exemplars' in point) {
    const problem = exemplarProblem(point.exemplars);
    if (problem) return problem;
  }
  if ('explicitBounds' in point) {
    // Histogram: bucket_counts is empty or has one more element than explicit_bounds, which
    // are strictly increasing ("Histogram" in the data model).
    if (point.bucketCounts.length > 0 && point.bucketCounts.length !== point.explicitBounds.length + 1)
      return `histogram "${metric.name}": ${point.bucketCounts.length} bucket counts for ${point.explicitBounds.length} bounds (must be bounds + 1)`;
    if (!increasing(point.explicitBounds))
      return `histogram "${metric.name}": explicit bounds are not strictly increasing`;
  }
  if ('quantileValues' in point) {
    const wrong = point.quantileValues.find((q) => !(q.quantile >= 0 && q.quantile <= 1));
    if (wrong) return `summary "${metric.name}": quantile ${wrong.quantile} is outside [0, 1]`;
  }
  return undefined;
}

/**
 * Takes out the data points that can never be stored (a metric without a name, an exemplar id
 * of the wrong length, histogram buckets that do not fit their bounds, a quantile outside
 * [0, 1]), to be reported as a partial success (OTLP specification, "Partial Success":
 * `rejected_data_points`). Metrics left without points are dropped.
 * @example const { accepted, rejectedDataPoints } = screenMetricsRequest(request);
 */
export function screenMetricsRequest(request: MetricsRequest): MetricsScreening {
  let accepted = 0;
  let rejected = 0;
  let firstProblem = '';
  const resourceMetrics = request.resourceMetrics.map((rm) => ({
    ...rm,
    scopeMetrics: rm.scopeMetrics.map((sm) => ({
      ...sm,
      metrics: sm.metrics.flatMap((metric): Metric[] => {
        const points = (metric.data.dataPoints as MetricData['dataPoints'][number][]).filter((point) => {
          const problem = pointProblem(metric, point);
          if (problem === undefined) accepted++;
          else {
            rejected++;
            firstProblem ||= problem;
          }
          return problem === undefined;
        });
        if (points.length === 0) return [];
        return [{ ...metric, data: { ...metric.data, dataPoints: points } as MetricData }];
      }),
    })),
  }));
  return {
    accepted: { resourceMetrics },
    acceptedDataPoints: accepted,
    rejectedDataPoints: rejected,
    errorMessage: rejected > 0 ? `${rejected} data points rejected; first: ${firstProblem}` : '',
  };
}
