import type { MetricType } from '@llmp/otlp';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { metricTables } from './metricRows.ts';
import { newestFirstWhere } from './newestFirstWhere.ts';
import { isoFromNanos } from './storedSpan.ts';

export type StoredMetricType = Exclude<MetricType, 'empty'>;

/** What `GET /v1/otel-metrics` filters on; every value reaches ClickHouse as a query parameter. */
export interface MetricPointFilter {
  fromNs: bigint;
  toNs: bigint;
  /** Only these metric types (tables); all when absent. */
  type?: StoredMetricType | undefined;
  name?: string | undefined;
  service?: string | undefined;
  jobId?: string | undefined;
  /** Point attributes that must have these values. */
  attributes?: ReadonlyArray<readonly [key: string, value: string]> | undefined;
}

export interface StoredExemplar {
  time: string;
  value: number | null;
  traceId: string;
  spanId: string;
  filteredAttributes: Record<string, string>;
}

/** One stored data point as the API returns it; the fields after `flags` depend on `type`. */
export interface StoredMetricPoint {
  type: StoredMetricType;
  name: string;
  description: string;
  unit: string;
  serviceName: string;
  timeUnixNano: string;
  time: string;
  startTime: string;
  attributes: Record<string, string>;
  resourceAttributes: Record<string, string>;
  scope: { name: string; version: string };
  jobId: string | null;
  flags: number;
  /** sum, gauge */
  value?: number | null;
  /** sum, histogram, exponential histogram: `delta`, `cumulative` or `unspecified`. */
  aggregationTemporality?: 'unspecified' | 'delta' | 'cumulative';
  isMonotonic?: boolean;
  /** histogram, exponential histogram, summary */
  count?: number;
  sum?: number | null;
  min?: number | null;
  max?: number | null;
  bucketCounts?: number[];
  explicitBounds?: Array<number | null>;
  scale?: number;
  zeroCount?: number;
  zeroThreshold?: number | null;
  positive?: { offset: number; bucketCounts: number[] };
  negative?: { offset: number; bucketCounts: number[] };
  quantiles?: Array<{ quantile: number | null; value: number | null }>;
  exemplars?: StoredExemplar[];
}

/** Where the next page starts: the last point's time and row key (newest first). */
export type MetricPointPosition = [timeNs: string, rowKey: string];

export interface MetricPointSearch {
  points(
    projectId: string,
    filter: MetricPointFilter,
    page: { limit: number; after?: MetricPointPosition | undefined },
  ): Promise<{ items: StoredMetricPoint[]; next: MetricPointPosition | null }>;
}

type Row = Record<string, unknown> & { ts: string; row_key: string };

const temporalities = ['unspecified', 'delta', 'cumulative'] as const;
const withExemplars: ReadonlySet<StoredMetricType> = new Set([
  'sum',
  'gauge',
  'histogram',
  'exponentialHistogram',
]);

/** The type's own columns, besides those every table has. */
const typeColumns: Record<StoredMetricType, string> = {
  sum: 'Value, AggregationTemporality, IsMonotonic',
  gauge: 'Value',
  histogram: 'Count, Sum, BucketCounts, ExplicitBounds, Min, Max, AggregationTemporality',
  exponentialHistogram: `Count, Sum, Scale, ZeroCount, ZeroThreshold, PositiveOffset, PositiveBucketCounts,
    NegativeOffset, NegativeBucketCounts, Min, Max, AggregationTemporality`,
  summary:
    'Count, Sum, `ValueAtQuantiles.Quantile` AS quantile_keys, `ValueAtQuantiles.Value` AS quantile_values',
};

// Data points have no id: a hash of their series, start time and type orders those of one
// nanosecond, so a page boundary there neither repeats nor skips one.
const rowKey = 'cityHash64({kind:String}, MetricName, ServiceName, toString(Attributes), StartTimeUnix)';

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const nums = (value: unknown) => ((value ?? []) as unknown[]).map((v) => Number(v));

function pointOf(type: StoredMetricType, r: Row): StoredMetricPoint {
  const point: StoredMetricPoint = {
    type,
    name: r.MetricName as string,
    description: r.MetricDescription as string,
    unit: r.MetricUnit as string,
    serviceName: r.ServiceName as string,
    timeUnixNano: r.ts,
    time: isoFromNanos(BigInt(r.ts)),
    startTime: isoFromNanos(BigInt(r.start_ts as string)),
    attributes: r.Attributes as Record<string, string>,
    resourceAttributes: r.ResourceAttributes as Record<string, string>,
    scope: { name: r.ScopeName as string, version: r.ScopeVersion as string },
    jobId: r.job_id === '' ? null : (r.job_id as string),
    flags: Number(r.Flags),
  };
  if (type === 'sum' || type === 'gauge') point.value = num(r.Value);
  if ('AggregationTemporality' in r)
    point.aggregationTemporality = temporalities[Number(r.AggregationTemporality)] ?? 'unspecified';
  if (type === 'sum') point.isMonotonic = Boolean(r.IsMonotonic);
  if (type === 'histogram' || type === 'exponentialHistogram' || type === 'summary') {
    point.count = Number(r.Count);
    point.sum = num(r.Sum);
  }
  if (type === 'histogram' || type === 'exponentialHistogram') {
    point.min = num(r.Min);
    point.max = num(r.Max);
  }
  if (type === 'histogram') {
    point.bucketCounts = nums(r.BucketCounts);
    point.explicitBounds = (r.ExplicitBounds as unknown[]).map(num);
  }
  if (type === 'exponentialHistogram') {
    point.scale = Number(r.Scale);
    point.zeroCount = Number(r.ZeroCount);
    point.zeroThreshold = num(r.ZeroThreshold);
    point.positive = { offset: Number(r.PositiveOffset), bucketCounts: nums(r.PositiveBucketCounts) };
    point.negative = { offset: Number(r.NegativeOffset), bucketCounts: nums(r.NegativeBucketCounts) };
  }
  if (type === 'summary') {
    const values = r.quantile_values as unknown[];
    point.quantiles = (r.quantile_keys as unknown[]).map((q, i) => ({
      quantile: num(q),
      value: num(values[i]),
    }));
  }
  if (withExemplars.has(type)) {
    const times = r.exemplar_ts as string[];
    const values = r.exemplar_values as unknown[];
    const traces = r.exemplar_traces as string[];
    const spans = r.exemplar_spans as string[];
    const attributes = r.exemplar_attributes as Record<string, string>[];
    point.exemplars = times.map((t, i) => ({
      time: isoFromNanos(BigInt(t)),
      value: num(values[i]),
      traceId: traces[i]!,
      spanId: spans[i]!,
      filteredAttributes: attributes[i]!,
    }));
  }
  return point;
}

/**
 * OTLP metric data point search over the otel_metrics_* tables, newest first, paged by (time,
 * row key): one query per metric type asked for, merged in time order.
 * @example const { items, next } = await storeMetricPointSearch(store).points('default', { fromNs, toNs, name: 'gen_ai.client.token.usage' }, { limit: 50 });
 */
export function storeMetricPointSearch(store: ClickHouseStore): MetricPointSearch {
  async function fromTable(
    type: StoredMetricType,
    projectId: string,
    filter: MetricPointFilter,
    limit: number,
    after: MetricPointPosition | undefined,
  ): Promise<Array<{ point: StoredMetricPoint; at: MetricPointPosition }>> {
    const { where, params, equal, continueAfter } = newestFirstWhere('TimeUnix', projectId, filter, limit);
    params.kind = type;
    equal('MetricName', 'name', filter.name);
    equal('ServiceName', 'service', filter.service);
    equal('job_id', 'jobId', filter.jobId);
    (filter.attributes ?? []).forEach(([key, value], i) => {
      where.push(`Attributes[{attrKey${i}:String}] = {attrValue${i}:String}`);
      params[`attrKey${i}`] = key;
      params[`attrValue${i}`] = value;
    });
    continueAfter(rowKey, after);
    const exemplars = withExemplars.has(type)
      ? `, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), \`Exemplars.TimeUnix\`) AS exemplar_ts,
        \`Exemplars.Value\` AS exemplar_values, \`Exemplars.TraceId\` AS exemplar_traces,
        \`Exemplars.SpanId\` AS exemplar_spans, \`Exemplars.FilteredAttributes\` AS exemplar_attributes`
      : '';
    const result = await store.client.query({
      query: `
        SELECT toString(toUnixTimestamp64Nano(TimeUnix)) AS ts, toString(${rowKey}) AS row_key,
          toString(toUnixTimestamp64Nano(StartTimeUnix)) AS start_ts,
          MetricName, MetricDescription, MetricUnit, ServiceName, Attributes, ResourceAttributes,
          ScopeName, ScopeVersion, job_id, Flags, ${typeColumns[type]}${exemplars}
        FROM \`${store.database}\`.${metricTables[type]}
        WHERE ${where.join(' AND ')}
        ORDER BY TimeUnix DESC, row_key DESC
        LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await result.json<Row>();
    return rows.map((r) => ({ point: pointOf(type, r), at: [r.ts, r.row_key] as MetricPointPosition }));
  }

  return {
    async points(projectId, filter, { limit, after }) {
      const types = filter.type ? [filter.type] : (Object.keys(metricTables) as StoredMetricType[]);
      const parts = await Promise.all(types.map((type) => fromTable(type, projectId, filter, limit, after)));
      const merged = parts.flat().sort((a, b) => comparePositions(b.at, a.at));
      const page = merged.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((p) => p.point),
        next: merged.length > limit && last ? last.at : null,
      };
    },
  };
}

/** Orders positions as ClickHouse orders (Int64 time, UInt64 key) tuples. */
function comparePositions(a: MetricPointPosition, b: MetricPointPosition): number {
  const time = BigInt(a[0]) - BigInt(b[0]);
  if (time !== 0n) return time > 0n ? 1 : -1;
  const key = BigInt(a[1]) - BigInt(b[1]);
  return key === 0n ? 0 : key > 0n ? 1 : -1;
}
