import { type MetricBatch, mergeMetricBatches, metricBatchFromBytes } from '@llmp/otlp';
import { permanent } from '@llmp/pipeline';
import { isOtlpJson, type KafkaSignal } from './kafkaSignal.ts';
import { metricKafkaRecords, OversizedResourceMetricsError } from './metricKafkaRecords.ts';

const isMetricBatch = (batch: unknown): batch is MetricBatch =>
  typeof batch === 'object' && batch !== null && 'dataPointCount' in batch;

/**
 * Metrics on Kafka (`otlp_metrics`): records per `service.name` of their resources, each value
 * the sender's own ResourceMetrics bytes (see metricKafkaRecords), so nothing the decoded model
 * leaves out (int vs double, Metric.metadata) is lost on the way; the ingester screens again and
 * drops the points that can never be stored.
 * @example kafkaExporter(producer, settings, config, [traceSignal, logSignal, metricSignal])
 */
export const metricSignal: KafkaSignal<MetricBatch> = {
  signal: 'metrics',
  unit: 'data points',
  invalidReason: 'invalid_data_points',
  defaults: { topic: 'otlp_metrics', deadLetterTopic: 'otlp_metrics_dlq' },
  owns: isMetricBatch,
  count: (batch) => batch.dataPointCount,
  projectOf: (batch) => batch.projectId,
  records(batch, maxRecordBytes) {
    if (!batch.received)
      throw permanent('a metrics batch without its received bytes cannot be forwarded to Kafka');
    try {
      return metricKafkaRecords(batch.received(), batch.request, maxRecordBytes);
    } catch (error) {
      // Cutting the same request again gives the same outcome: a retry cannot help.
      if (error instanceof OversizedResourceMetricsError) throw permanent(error.message, { cause: error });
      throw permanent(`the metrics request cannot be forwarded: ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
  decode(value, projectId) {
    const decoded = metricBatchFromBytes(value, {
      projectId,
      encoding: isOtlpJson(value) ? 'json' : 'protobuf',
    });
    if (decoded.rejectedDataPoints > 0 && decoded.batch.dataPointCount === 0)
      return { invalid: decoded.errorMessage };
    return { batch: decoded.batch, count: decoded.batch.dataPointCount };
  },
  merge(projectId, parts, dedupToken) {
    // The receiver's parts are all of one project; the token already names it.
    const [joined] = mergeMetricBatches(parts);
    return {
      projectId,
      request: joined?.request ?? { resourceMetrics: [] },
      dataPointCount: joined?.dataPointCount ?? 0,
      meta: { dedupToken },
    };
  },
};
