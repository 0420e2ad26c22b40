import type { LogsRequest } from './logsModel.ts';

/** What a logs pipeline carries: the screened log records of one export request, for one project. */
export interface LogBatch {
  projectId: string;
  request: LogsRequest;
  logRecordCount: number;
}
