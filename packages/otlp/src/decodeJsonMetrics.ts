import { jsonReaders, parseJsonBody, withLimits } from './decodeJson.ts';
import type {
  Exemplar,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  MetricData,
  MetricsRequest,
  NumberDataPoint,
  SummaryDataPoint,
} from './metricsModel.ts';
import { unboundedValues, type ValueLimits } from './valueLimits.ts';

const {
  field,
  object,
  list,
  string,
  uint32,
  int64,
  double,
  enumValue,
  hexId,
  keyValues,
  resourceScopes,
  fail,
} = jsonReaders;

type JsonObject = Record<string, unknown>;

/** AggregationTemporality names, as OTLP/JSON may send them. */
const temporalities: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

const optionalDouble = (value: unknown, path: string) =>
  value === undefined ? undefined : double(value, path);
const doubleOr0 = (value: unknown, path: string) => (value === undefined ? 0 : double(value, path));

function bool(value: unknown, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') fail(path, `expected true or false, got ${String(value)}`);
  return value as boolean;
}

function int32(value: unknown, path: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31)
    fail(path, `expected a 32-bit integer, got ${String(value)}`);
  return n as number;
}

/** The value oneof (asDouble / asInt) of a NumberDataPoint or an Exemplar. */
function pointValue(obj: JsonObject, path: string): number {
  const asInt = field(obj, 'asInt');
  if (asInt !== undefined) return Number(int64(asInt, `${path}.asInt`, true));
  return doubleOr0(field(obj, 'asDouble'), `${path}.asDouble`);
}

function exemplar(value: unknown, path: string): Exemplar {
  const obj = object(value, path) ?? {};
  return {
    filteredAttributes: keyValues(field(obj, 'filteredAttributes'), `${path}.filteredAttributes`),
    timeUnixNano: int64(field(obj, 'timeUnixNano'), `${path}.timeUnixNano`, false),
    value: pointValue(obj, path),
    traceId: hexId(field(obj, 'traceId'), `${path}.traceId`),
    spanId: hexId(field(obj, 'spanId'), `${path}.spanId`),
  };
}

function base(obj: JsonObject, path: string) {
  return {
    attributes: keyValues(field(obj, 'attributes'), `${path}.attributes`),
    startTimeUnixNano: int64(field(obj, 'startTimeUnixNano'), `${path}.startTimeUnixNano`, false),
    timeUnixNano: int64(field(obj, 'timeUnixNano'), `${path}.timeUnixNano`, false),
    flags: uint32(field(obj, 'flags'), `${path}.flags`),
  };
}

const exemplars = (obj: JsonObject, path: string) =>
  list(field(obj, 'exemplars'), `${path}.exemplars`).map((e, i) => exemplar(e, `${path}.exemplars[${i}]`));
const uint64s = (value: unknown, path: string) =>
  list(value, path).map((v, i) => int64(v, `${path}[${i}]`, false));

function numberPoint(value: unknown, path: string): NumberDataPoint {
  const obj = object(value, path) ?? {};
  return { ...base(obj, path), value: pointValue(obj, path), exemplars: exemplars(obj, path) };
}

function histogramPoint(value: unknown, path: string): HistogramDataPoint {
  const obj = object(value, path) ?? {};
  return {
    ...base(obj, path),
    count: int64(field(obj, 'count'), `${path}.count`, false),
    sum: optionalDouble(field(obj, 'sum'), `${path}.sum`),
    bucketCounts: uint64s(field(obj, 'bucketCounts'), `${path}.bucketCounts`),
    explicitBounds: list(field(obj, 'explicitBounds'), `${path}.explicitBounds`).map((v, i) =>
      double(v, `${path}.explicitBounds[${i}]`),
    ),
    exemplars: exemplars(obj, path),
    min: optionalDouble(field(obj, 'min'), `${path}.min`),
    max: optionalDouble(field(obj, 'max'), `${path}.max`),
  };
}

function buckets(value: unknown, path: string): ExponentialBuckets {
  const obj = object(value, path) ?? {};
  return {
    offset: int32(field(obj, 'offset'), `${path}.offset`),
    bucketCounts: uint64s(field(obj, 'bucketCounts'), `${path}.bucketCounts`),
  };
}

function exponentialPoint(value: unknown, path: string): ExponentialHistogramDataPoint {
  const obj = object(value, path) ?? {};
  return {
    ...base(obj, path),
    count: int64(field(obj, 'count'), `${path}.count`, false),
    sum: optionalDouble(field(obj, 'sum'), `${path}.sum`),
    scale: int32(field(obj, 'scale'), `${path}.scale`),
    zeroCount: int64(field(obj, 'zeroCount'), `${path}.zeroCount`, false),
    positive: buckets(field(obj, 'positive'), `${path}.positive`),
    negative: buckets(field(obj, 'negative'), `${path}.negative`),
    exemplars: exemplars(obj, path),
    min: optionalDouble(field(obj, 'min'), `${path}.min`),
    max: optionalDouble(field(obj, 'max'), `${path}.max`),
    zeroThreshold: doubleOr0(field(obj, 'zeroThreshold'), `${path}.zeroThreshold`),
  };
}

function summaryPoint(value: unknown, path: string): SummaryDataPoint {
  const obj = object(value, path) ?? {};
  return {
    ...base(obj, path),
    count: int64(field(obj, 'count'), `${path}.count`, false),
    sum: doubleOr0(field(obj, 'sum'), `${path}.sum`),
    quantileValues: list(field(obj, 'quantileValues'), `${path}.quantileValues`).map((q, i) => {
      const qPath = `${path}.quantileValues[${i}]`;
      const qv = object(q, qPath) ?? {};
      return {
        quantile: doubleOr0(field(qv, 'quantile'), `${qPath}.quantile`),
        value: doubleOr0(field(qv, 'value'), `${qPath}.value`),
      };
    }),
  };
}

function points<T>(data: JsonObject, path: string, read: (value: unknown, path: string) => T): T[] {
  return list(field(data, 'dataPoints'), `${path}.dataPoints`).map((p, i) =>
    read(p, `${path}.dataPoints[${i}]`),
  );
}

function metricData(obj: JsonObject, path: string): MetricData {
  const present = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].filter(
    (key) => field(obj, key) !== undefined,
  );
  // Metric.data is a oneof: two of its members in one metric is no message protobuf could carry.
  if (present.length > 1) fail(path, `a metric has one data field, got ${present.join(' and ')}`);
  const key = present[0];
  if (key === undefined) return { type: 'empty', dataPoints: [] };
  const at = `${path}.${key}`;
  const data = object(field(obj, key), at) ?? {};
  const temporality = () =>
    enumValue(field(data, 'aggregationTemporality'), temporalities, `${at}.aggregationTemporality`);
  switch (key) {
    case 'gauge':
      return { type: 'gauge', dataPoints: points(data, at, numberPoint) };
    case 'sum':
      return {
        type: 'sum',
        dataPoints: points(data, at, numberPoint),
        aggregationTemporality: temporality(),
        isMonotonic: bool(field(data, 'isMonotonic'), `${at}.isMonotonic`),
      };
    case 'histogram':
      return {
        type: 'histogram',
        dataPoints: points(data, at, histogramPoint),
        aggregationTemporality: temporality(),
      };
    case 'exponentialHistogram':
      return {
        type: 'exponentialHistogram',
        dataPoints: points(data, at, exponentialPoint),
        aggregationTemporality: temporality(),
      };
    default:
      return { type: 'summary', dataPoints: points(data, at, summaryPoint) };
  }
}

function metric(value: unknown, path: string): Metric {
  const obj = object(value, path) ?? {};
  return {
    name: string(field(obj, 'name'), `${path}.name`),
    description: string(field(obj, 'description'), `${path}.description`),
    unit: string(field(obj, 'unit'), `${path}.unit`),
    data: metricData(obj, path),
  };
}

/**
 * Decodes an OTLP/JSON ExportMetricsServiceRequest (OTLP specification, "JSON Protobuf
 * Encoding": int64 as number or string, enums as numbers or names, hex exemplar ids), within `bounds`.
 * @throws OtlpDecodeError naming the first wrong field, or the first bound passed (kind `limit`).
 * @example const request = decodeJsonMetricsRequest('{"resourceMetrics":[]}', defaultValueLimits);
 */
export function decodeJsonMetricsRequest(
  body: string | Uint8Array,
  bounds: ValueLimits = unboundedValues,
  reserve?: (decodedBytes: number) => void,
): MetricsRequest {
  const parsed = parseJsonBody(body, bounds, reserve);
  return withLimits(bounds, () => {
    const root = object(parsed, '(body)') ?? fail('(body)', 'expected an object, got null');
    return { resourceMetrics: resourceScopes(root, 'resourceMetrics', 'scopeMetrics', 'metrics', metric) };
  });
}
