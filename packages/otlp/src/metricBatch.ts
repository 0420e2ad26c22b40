import type { BatchMeta } from './batchMeta.ts';
import type { MetricsRequest } from './metricsModel.ts';

/** What a metrics pipeline carries: the screened data points of one export request, for one project. */
export interface MetricBatch {
  projectId: string;
  request: MetricsRequest;
  dataPointCount: number;
  /**
   * The request as its sender's OTLP/protobuf bytes (JSON bodies converted field for field), for
   * exporters that forward it (the gateway's `kafka`): the model keeps a double where the sender
   * sent an int, and drops Metric.metadata. Absent on batches not straight from a receiver.
   */
  received?: () => Uint8Array;
  /** Optional: the ingester's dedupToken (topic, partition, offsets) for idempotent redelivery. */
  meta?: BatchMeta;
}
