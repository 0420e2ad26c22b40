import type { BatchMeta } from './batchMeta.ts';
import { checkMetricsLimits } from './checkMetricsLimits.ts';
import { decodeJsonMetricsRequest } from './decodeJsonMetrics.ts';
import { decodeProtobufMetricsRequest } from './decodeProtobufMetrics.ts';
import type { MetricBatch } from './metricBatch.ts';
import { screenMetricsRequest } from './screenMetricsRequest.ts';
import { unboundedValues, type ValueLimits } from './valueLimits.ts';

/** A metrics batch made from encoded bytes, with the data points screening took out. */
export interface DecodedMetricBatch {
  batch: MetricBatch;
  rejectedDataPoints: number;
  errorMessage: string;
}

/**
 * Decodes an encoded ExportMetricsServiceRequest (a Kafka `otlp_metrics` record: the Collector's
 * `otlp_proto` or `otlp_json`), checks it against `bounds` and screens it as the receiver does,
 * giving the batch a metrics pipeline (the `clickhouse` exporter) takes.
 * @throws OtlpDecodeError when the bytes are no request or pass a bound (a dead letter).
 * @example const { batch } = metricBatchFromBytes(record.value, { projectId, encoding: 'protobuf', meta: { dedupToken } });
 */
export function metricBatchFromBytes(
  bytes: Uint8Array,
  {
    projectId,
    encoding = 'protobuf',
    bounds = unboundedValues,
    meta,
  }: { projectId: string; encoding?: 'protobuf' | 'json'; bounds?: ValueLimits; meta?: BatchMeta },
): DecodedMetricBatch {
  const request =
    encoding === 'json' ? decodeJsonMetricsRequest(bytes, bounds) : decodeProtobufMetricsRequest(bytes);
  checkMetricsLimits(request, bytes.byteLength, bounds);
  const screening = screenMetricsRequest(request);
  return {
    batch: {
      projectId,
      request: screening.accepted,
      dataPointCount: screening.acceptedDataPoints,
      ...(meta ? { meta } : {}),
    },
    rejectedDataPoints: screening.rejectedDataPoints,
    errorMessage: screening.errorMessage,
  };
}
