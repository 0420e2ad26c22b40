import { hexOf, keyValues, resource, scope, toBigInt } from './decodeProtobuf.ts';
import { flatStringReader } from './flatStringReader.ts';
import type {
  Exemplar,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  MetricData,
  MetricsRequest,
  NumberDataPoint,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
} from './metricsModel.ts';
import { metricsProtoTypes } from './metricsProtoTypes.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';

// protobufjs messages: set fields are own properties, defaults live on the prototype.
type Message = Record<string, unknown>;

const has = (m: Message, key: string) => Object.hasOwn(m, key);
const messages = (value: unknown) => (value ?? []) as Message[];
const num = (value: unknown) => (value as number | undefined) ?? 0;
/** proto3 `optional double`: absent unless the sender set it. */
const optional = (m: Message, key: string) => (has(m, key) ? (m[key] as number) : undefined);
const uint64s = (value: unknown) => ((value ?? []) as unknown[]).map((v) => toBigInt(v, false));

/** The value oneof of a NumberDataPoint or Exemplar: as_int is read exactly, then held as a double. */
function pointValue(m: Message): number {
  if (has(m, 'asInt')) return Number(toBigInt(m.asInt, true));
  return num(m.asDouble);
}

function exemplar(m: Message): Exemplar {
  return {
    filteredAttributes: keyValues(m.filteredAttributes),
    timeUnixNano: toBigInt(m.timeUnixNano, false),
    value: pointValue(m),
    traceId: hexOf(m.traceId),
    spanId: hexOf(m.spanId),
  };
}

function base(m: Message) {
  return {
    attributes: keyValues(m.attributes),
    startTimeUnixNano: toBigInt(m.startTimeUnixNano, false),
    timeUnixNano: toBigInt(m.timeUnixNano, false),
    flags: num(m.flags),
  };
}

const numberPoint = (m: Message): NumberDataPoint => ({
  ...base(m),
  value: pointValue(m),
  exemplars: messages(m.exemplars).map(exemplar),
});

const histogramPoint = (m: Message): HistogramDataPoint => ({
  ...base(m),
  count: toBigInt(m.count, false),
  sum: optional(m, 'sum'),
  bucketCounts: uint64s(m.bucketCounts),
  explicitBounds: ((m.explicitBounds ?? []) as number[]).slice(),
  exemplars: messages(m.exemplars).map(exemplar),
  min: optional(m, 'min'),
  max: optional(m, 'max'),
});

const buckets = (m: Message | undefined): ExponentialBuckets => ({
  offset: num(m?.offset),
  bucketCounts: uint64s(m?.bucketCounts),
});

const exponentialPoint = (m: Message): ExponentialHistogramDataPoint => ({
  ...base(m),
  count: toBigInt(m.count, false),
  sum: optional(m, 'sum'),
  scale: num(m.scale),
  zeroCount: toBigInt(m.zeroCount, false),
  positive: buckets(m.positive as Message | undefined),
  negative: buckets(m.negative as Message | undefined),
  exemplars: messages(m.exemplars).map(exemplar),
  min: optional(m, 'min'),
  max: optional(m, 'max'),
  zeroThreshold: num(m.zeroThreshold),
});

const summaryPoint = (m: Message): SummaryDataPoint => ({
  ...base(m),
  count: toBigInt(m.count, false),
  sum: num(m.sum),
  quantileValues: messages(m.quantileValues).map((q) => ({ quantile: num(q.quantile), value: num(q.value) })),
});

function metricData(m: Message): MetricData {
  const data = (key: string) => m[key] as Message;
  if (has(m, 'gauge'))
    return { type: 'gauge', dataPoints: messages(data('gauge').dataPoints).map(numberPoint) };
  if (has(m, 'sum'))
    return {
      type: 'sum',
      dataPoints: messages(data('sum').dataPoints).map(numberPoint),
      aggregationTemporality: num(data('sum').aggregationTemporality),
      isMonotonic: (data('sum').isMonotonic as boolean | undefined) ?? false,
    };
  if (has(m, 'histogram'))
    return {
      type: 'histogram',
      dataPoints: messages(data('histogram').dataPoints).map(histogramPoint),
      aggregationTemporality: num(data('histogram').aggregationTemporality),
    };
  if (has(m, 'exponentialHistogram'))
    return {
      type: 'exponentialHistogram',
      dataPoints: messages(data('exponentialHistogram').dataPoints).map(exponentialPoint),
      aggregationTemporality: num(data('exponentialHistogram').aggregationTemporality),
    };
  if (has(m, 'summary'))
    return { type: 'summary', dataPoints: messages(data('summary').dataPoints).map(summaryPoint) };
  return { type: 'empty', dataPoints: [] };
}

const metric = (m: Message): Metric => ({
  name: (m.name as string) ?? '',
  description: (m.description as string) ?? '',
  unit: (m.unit as string) ?? '',
  data: metricData(m),
});

/**
 * Decodes an OTLP/protobuf ExportMetricsServiceRequest.
 * @throws OtlpDecodeError when the bytes are not a valid message.
 * @example const request = decodeProtobufMetricsRequest(body);
 */
export function decodeProtobufMetricsRequest(bytes: Uint8Array): MetricsRequest {
  let message: Message;
  try {
    message = metricsProtoTypes().request.decode(flatStringReader(bytes)) as unknown as Message;
  } catch (error) {
    throw new OtlpDecodeError(`invalid OTLP protobuf payload: ${(error as Error).message}`, { cause: error });
  }
  const resourceMetrics = messages(message.resourceMetrics).map(
    (rm): ResourceMetrics => ({
      resource: resource(rm.resource as Message | undefined),
      schemaUrl: (rm.schemaUrl as string) ?? '',
      scopeMetrics: messages(rm.scopeMetrics).map(
        (sm): ScopeMetrics => ({
          scope: scope(sm.scope as Message | undefined),
          schemaUrl: (sm.schemaUrl as string) ?? '',
          metrics: messages(sm.metrics).map(metric),
        }),
      ),
    }),
  );
  return { resourceMetrics };
}
