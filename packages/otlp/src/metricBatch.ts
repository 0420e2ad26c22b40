import type { BatchMeta } from './batchMeta.ts';
import type { MetricsRequest } from './metricsModel.ts';

/** What a metrics pipeline carries: the screened data points of one export request, for one project. */
export interface MetricBatch {
  projectId: string;
  request: MetricsRequest;
  dataPointCount: number;
  /** Optional: the ingester's dedupToken (topic, partition, offsets) for idempotent redelivery. */
  meta?: BatchMeta;
}
