import type { BatchMeta } from './batchMeta.ts';
import type { LogsRequest } from './logsModel.ts';

/** What a logs pipeline carries: the screened log records of one export request, for one project. */
export interface LogBatch {
  projectId: string;
  request: LogsRequest;
  logRecordCount: number;
  /**
   * Set by the Kafka receiver: the `dedupToken` of the batch's one INSERT into otel_logs, so a
   * redelivered range of `otlp_logs` is not stored twice. Absent: the insert is not deduplicated.
   */
  meta?: BatchMeta;
}
