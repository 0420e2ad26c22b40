import type { InstrumentationScope, KeyValue, Resource } from './traceModel.ts';

/** OTLP AggregationTemporality numbers (metrics data model, "Temporality"). */
export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;

/** One OTLP Exemplar: a sampled measurement, with the trace it was taken in when there was one. */
export interface Exemplar {
  filteredAttributes: KeyValue[];
  timeUnixNano: bigint;
  /** as_double, or as_int converted (the stored column is a Float64, as in the Collector's exporter). */
  value: number;
  /** Lowercase hex; empty when the measurement was taken outside a sampled span. */
  traceId: string;
  spanId: string;
}

/** What every data point has, whatever the metric type. */
interface PointBase {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** DataPointFlags (bit 0: no recorded value). */
  flags: number;
}

export interface NumberDataPoint extends PointBase {
  value: number;
  exemplars: Exemplar[];
}

export interface HistogramDataPoint extends PointBase {
  count: bigint;
  /** Absent when the sender did not record one (e.g. negative measurements). */
  sum: number | undefined;
  bucketCounts: bigint[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
}

export interface ExponentialBuckets {
  offset: number;
  bucketCounts: bigint[];
}

export interface ExponentialHistogramDataPoint extends PointBase {
  count: bigint;
  sum: number | undefined;
  scale: number;
  zeroCount: bigint;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
  zeroThreshold: number;
}

export interface SummaryDataPoint extends PointBase {
  count: bigint;
  sum: number;
  quantileValues: Array<{ quantile: number; value: number }>;
}

/** A metric's data by type (the Metric.data oneof); `empty` when the sender set none. */
export type MetricData =
  | { type: 'gauge'; dataPoints: NumberDataPoint[] }
  | { type: 'sum'; dataPoints: NumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean }
  | { type: 'histogram'; dataPoints: HistogramDataPoint[]; aggregationTemporality: number }
  | {
      type: 'exponentialHistogram';
      dataPoints: ExponentialHistogramDataPoint[];
      aggregationTemporality: number;
    }
  | { type: 'summary'; dataPoints: SummaryDataPoint[] }
  | { type: 'empty'; dataPoints: never[] };

export type MetricType = MetricData['type'];

/** One OTLP Metric after decoding either wire encoding. */
export interface Metric {
  name: string;
  description: string;
  unit: string;
  data: MetricData;
}

export interface ScopeMetrics {
  scope: InstrumentationScope;
  metrics: Metric[];
  schemaUrl: string;
}

export interface ResourceMetrics {
  resource: Resource;
  scopeMetrics: ScopeMetrics[];
  schemaUrl: string;
}

/** ExportMetricsServiceRequest (and MetricsData, which has the same shape). */
export interface MetricsRequest {
  resourceMetrics: ResourceMetrics[];
}

/**
 * Number of data points in a request (what OTLP's partial success counts for metrics).
 * @example countDataPoints(request) // 12
 */
export function countDataPoints(request: MetricsRequest): number {
  let n = 0;
  for (const rm of request.resourceMetrics)
    for (const sm of rm.scopeMetrics) for (const metric of sm.metrics) n += metric.data.dataPoints.length;
  return n;
}
