import type { Exemplar, Metric, MetricBatch, MetricType, ResourceMetrics, ScopeMetrics } from '@llmp/otlp';
import { attributeColumns } from './attributeColumns.ts';
import { firstText } from './firstText.ts';
import { clickhouseTime } from './storedSpan.ts';

/** One row of an otel_metrics_* table as JSONEachRow takes it (no bigint: JSON has none). */
export type MetricRow = Record<string, unknown>;

/** The table of each metric type (the Collector ClickHouse exporter's names). */
export const metricTables: Record<Exclude<MetricType, 'empty'>, string> = {
  sum: 'otel_metrics_sum',
  gauge: 'otel_metrics_gauge',
  histogram: 'otel_metrics_histogram',
  exponentialHistogram: 'otel_metrics_exponential_histogram',
  summary: 'otel_metrics_summary',
};

export type MetricTable = (typeof metricTables)[keyof typeof metricTables];

/**
 * A Float64 for JSONEachRow: JSON has no NaN or infinities, ClickHouse reads them from these
 * strings (NaN is a legal OTLP value, e.g. a Prometheus staleness marker).
 */
const float = (value: number): number | string =>
  Number.isFinite(value) ? value : Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
/** UInt64 as a decimal string, exact past 2^53. */
const uint64 = (value: bigint) => value.toString();

type TimeText = (nanos: bigint) => string;

/**
 * clickhouseTime, remembered for one call of metricRows: the points of one SDK collection share
 * their start and end times, and formatting a time was 40 % of the rows' CPU.
 */
function timeTexts(): TimeText {
  const seen = new Map<bigint, string>();
  return (nanos) => {
    let text = seen.get(nanos);
    if (text === undefined) {
      text = clickhouseTime(nanos);
      seen.set(nanos, text);
    }
    return text;
  };
}

function exemplarColumns(exemplars: Exemplar[], time: TimeText): MetricRow {
  return {
    'Exemplars.FilteredAttributes': exemplars.map((e) => attributeColumns(e.filteredAttributes).values),
    'Exemplars.TimeUnix': exemplars.map((e) => time(e.timeUnixNano)),
    'Exemplars.Value': exemplars.map((e) => float(e.value)),
    'Exemplars.SpanId': exemplars.map((e) => e.spanId),
    'Exemplars.TraceId': exemplars.map((e) => e.traceId),
  };
}

/** The columns of one metric type's data point. */
function typeColumns(
  data: Metric['data'],
  point: Metric['data']['dataPoints'][number],
  time: TimeText,
): MetricRow {
  switch (data.type) {
    case 'gauge':
    case 'sum': {
      const p = point as (typeof data.dataPoints)[number];
      return {
        Value: float(p.value),
        ...(data.type === 'sum'
          ? { AggregationTemporality: data.aggregationTemporality, IsMonotonic: data.isMonotonic }
          : {}),
        ...exemplarColumns(p.exemplars, time),
      };
    }
    case 'histogram': {
      const p = point as (typeof data.dataPoints)[number];
      return {
        Count: uint64(p.count),
        // Absent sum, min and max are 0, as the Collector's exporter stores them.
        Sum: float(p.sum ?? 0),
        BucketCounts: p.bucketCounts.map(uint64),
        ExplicitBounds: p.explicitBounds.map(float),
        Min: float(p.min ?? 0),
        Max: float(p.max ?? 0),
        AggregationTemporality: data.aggregationTemporality,
        ...exemplarColumns(p.exemplars, time),
      };
    }
    case 'exponentialHistogram': {
      const p = point as (typeof data.dataPoints)[number];
      return {
        Count: uint64(p.count),
        Sum: float(p.sum ?? 0),
        Scale: p.scale,
        ZeroCount: uint64(p.zeroCount),
        ZeroThreshold: float(p.zeroThreshold),
        PositiveOffset: p.positive.offset,
        PositiveBucketCounts: p.positive.bucketCounts.map(uint64),
        NegativeOffset: p.negative.offset,
        NegativeBucketCounts: p.negative.bucketCounts.map(uint64),
        Min: float(p.min ?? 0),
        Max: float(p.max ?? 0),
        AggregationTemporality: data.aggregationTemporality,
        ...exemplarColumns(p.exemplars, time),
      };
    }
    case 'summary': {
      const p = point as (typeof data.dataPoints)[number];
      return {
        Count: uint64(p.count),
        Sum: float(p.sum),
        'ValueAtQuantiles.Quantile': p.quantileValues.map((q) => float(q.quantile)),
        'ValueAtQuantiles.Value': p.quantileValues.map((q) => float(q.value)),
      };
    }
    case 'empty':
      return {};
  }
}

/** The rows of one batch (or several), by table. */
export type MetricRowsByTable = Map<MetricTable, MetricRow[]>;

/**
 * The otel_metrics_* rows of metric batches, by table, in the Collector ClickHouse exporter's
 * shape; the job link attributes are read on the data point, then its scope, then its resource
 * (as for spans and log records).
 * @example for (const [table, rows] of metricRows([batch])) await insert(table, rows);
 */
export function metricRows(batches: readonly MetricBatch[]): MetricRowsByTable {
  const tables: MetricRowsByTable = new Map();
  const time = timeTexts();
  for (const batch of batches)
    for (const rm of batch.request.resourceMetrics) {
      const resource = attributeColumns(rm.resource.attributes).values;
      for (const sm of rm.scopeMetrics) {
        const scope = attributeColumns(sm.scope.attributes).values;
        for (const metric of sm.metrics) {
          if (metric.data.type === 'empty') continue;
          const table = metricTables[metric.data.type];
          const rows = tables.get(table) ?? [];
          tables.set(table, rows);
          for (const point of metric.data.dataPoints)
            rows.push(metricRow(batch.projectId, { rm, sm, metric, point, resource, scope }, time));
        }
      }
    }
  return tables;
}

function metricRow(
  projectId: string,
  at: {
    rm: ResourceMetrics;
    sm: ScopeMetrics;
    metric: Metric;
    point: Metric['data']['dataPoints'][number];
    resource: Record<string, string>;
    scope: Record<string, string>;
  },
  time: TimeText,
): MetricRow {
  const { rm, sm, metric, point, resource, scope } = at;
  const lists = [point.attributes, sm.scope.attributes, rm.resource.attributes];
  return {
    project_id: projectId,
    ResourceAttributes: resource,
    ResourceSchemaUrl: rm.schemaUrl,
    ScopeName: sm.scope.name,
    ScopeVersion: sm.scope.version,
    ScopeAttributes: scope,
    ScopeDroppedAttrCount: sm.scope.droppedAttributesCount,
    ScopeSchemaUrl: sm.schemaUrl,
    ServiceName: resource['service.name'] ?? '',
    MetricName: metric.name,
    MetricDescription: metric.description,
    MetricUnit: metric.unit,
    Attributes: attributeColumns(point.attributes).values,
    StartTimeUnix: time(point.startTimeUnixNano),
    TimeUnix: time(point.timeUnixNano),
    ...typeColumns(metric.data, point, time),
    Flags: point.flags,
    job_id: firstText(lists, 'llmp.job.id'),
    job_version: firstText(lists, 'llmp.job.version'),
    job_type: firstText(lists, 'llmp.job.type'),
  };
}
