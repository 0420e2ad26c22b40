import type { LogBatch, LogRecord } from '@llmp/otlp';
import { anyValueText, attributeColumns } from './attributeColumns.ts';
import { firstText } from './firstText.ts';
import { clickhouseTime } from './storedSpan.ts';

/** One row of otel_logs as JSONEachRow takes it. */
export type LogRow = Record<string, unknown>;

/**
 * The otel_logs rows of a batch, in the Collector ClickHouse exporter's shape: a record without a
 * time takes its observed time (OTLP logs data model, "Field: ObservedTimestamp"); the job link
 * attributes are read on the record, then its scope, then its resource.
 * @example await client.insert({ table: 'otel_logs', values: logRows(batch), format: 'JSONEachRow' })
 */
export function logRows(batch: LogBatch): LogRow[] {
  const rows: LogRow[] = [];
  for (const rl of batch.request.resourceLogs) {
    const resource = attributeColumns(rl.resource.attributes).values;
    for (const sl of rl.scopeLogs) {
      const scope = attributeColumns(sl.scope.attributes).values;
      for (const record of sl.logRecords) rows.push(logRow(batch.projectId, record, rl, sl, resource, scope));
    }
  }
  return rows;
}

function logRow(
  projectId: string,
  record: LogRecord,
  rl: LogBatch['request']['resourceLogs'][number],
  sl: LogBatch['request']['resourceLogs'][number]['scopeLogs'][number],
  resource: Record<string, string>,
  scope: Record<string, string>,
): LogRow {
  const lists = [record.attributes, sl.scope.attributes, rl.resource.attributes];
  const time = record.timeUnixNano > 0n ? record.timeUnixNano : record.observedTimeUnixNano;
  return {
    project_id: projectId,
    Timestamp: clickhouseTime(time),
    ObservedTimestamp: clickhouseTime(record.observedTimeUnixNano),
    TraceId: record.traceId,
    SpanId: record.spanId,
    TraceFlags: record.flags & 0xff,
    SeverityText: record.severityText,
    SeverityNumber: Math.max(0, Math.min(255, record.severityNumber)),
    ServiceName: resource['service.name'] ?? '',
    Body: anyValueText(record.body),
    ResourceSchemaUrl: rl.schemaUrl,
    ResourceAttributes: resource,
    ScopeSchemaUrl: sl.schemaUrl,
    ScopeName: sl.scope.name,
    ScopeVersion: sl.scope.version,
    ScopeAttributes: scope,
    LogAttributes: attributeColumns(record.attributes).values,
    EventName: record.eventName || firstText([record.attributes], 'event.name'),
    job_id: firstText(lists, 'llmp.job.id'),
    job_version: firstText(lists, 'llmp.job.version'),
    job_type: firstText(lists, 'llmp.job.type'),
  };
}
