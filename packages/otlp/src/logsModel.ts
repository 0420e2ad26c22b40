import type { AnyValue, InstrumentationScope, KeyValue, Resource } from './traceModel.ts';

/** One OTLP LogRecord after decoding either wire encoding: ids as lowercase hex, times as bigint. */
export interface LogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  /** Empty when the record belongs to no trace. */
  traceId: string;
  spanId: string;
  /** The event a record is (`gen_ai.client.inference.operation.details`); empty for plain logs. */
  eventName: string;
}

export interface ScopeLogs {
  scope: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

/** ExportLogsServiceRequest (and LogsData, which has the same shape). */
export interface LogsRequest {
  resourceLogs: ResourceLogs[];
}

/**
 * Number of log records in a request.
 * @example countLogRecords(request) // 3
 */
export function countLogRecords(request: LogsRequest): number {
  let n = 0;
  for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  return n;
}
