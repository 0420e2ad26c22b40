import { type LogBatch, type LogsRequest, screenLogsRequest } from '@llmp/otlp';
import { type Consumer, toExportError } from '@llmp/pipeline';
import { type ReceiverObserver, silentObserver } from './receiverObserver.ts';

export interface ExportLogsOutcome {
  acceptedLogRecords: number;
  rejectedLogRecords: number;
  errorMessage: string;
}

/**
 * The transport-independent part of LogsService/Export: screen the records, hand the rest on and
 * report the partial success (OTLP specification, "Partial Success"). Rejects with the next
 * consumer's ExportError, which each transport maps onto its status codes.
 * @example const outcome = await exportLogs(next, { projectId: 'default', request: decodeProtobufLogsRequest(body) });
 */
export async function exportLogs(
  next: Consumer<LogBatch>,
  input: { projectId: string; request: LogsRequest },
  observe: ReceiverObserver = silentObserver,
): Promise<ExportLogsOutcome> {
  const screening = screenLogsRequest(input.request);
  observe.refusedSpans(screening.rejectedLogRecords, 'invalid');
  if (screening.acceptedLogRecords > 0) {
    try {
      await next.consume({
        projectId: input.projectId,
        request: screening.accepted,
        logRecordCount: screening.acceptedLogRecords,
      });
    } catch (caught) {
      const error = toExportError(caught);
      observe.refusedSpans(
        screening.acceptedLogRecords,
        error.kind === 'permanent' ? 'permanent' : (error.reason ?? 'unavailable'),
      );
      throw error;
    }
    observe.accepted(screening.acceptedLogRecords);
  }
  return {
    acceptedLogRecords: screening.acceptedLogRecords,
    rejectedLogRecords: screening.rejectedLogRecords,
    errorMessage: screening.errorMessage,
  };
}
