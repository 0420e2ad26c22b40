import type { ClickHouseStore } from './clickhouseStore.ts';
import { newestFirstWhere } from './newestFirstWhere.ts';
import { isoFromNanos } from './storedSpan.ts';

/** What `GET /v1/logs` filters on; every value reaches ClickHouse as a query parameter. */
export interface LogFilter {
  fromNs: bigint;
  toNs: bigint;
  traceId?: string | undefined;
  spanId?: string | undefined;
  service?: string | undefined;
  /** Lowest OTLP SeverityNumber (1–24) of the records returned. */
  minSeverity?: number | undefined;
  eventName?: string | undefined;
  jobId?: string | undefined;
}

/** One stored log record as the API returns it. */
export interface StoredLogRecord {
  timeUnixNano: string;
  time: string;
  traceId: string;
  spanId: string;
  severityText: string;
  severityNumber: number;
  serviceName: string;
  eventName: string;
  body: string;
  attributes: Record<string, string>;
  resourceAttributes: Record<string, string>;
  scope: { name: string; version: string };
  jobId: string | null;
}

/** Where the next page starts: the last record's time and row key (newest first). */
export type LogPosition = [timeNs: string, rowKey: string];

export interface LogSearch {
  logs(
    projectId: string,
    filter: LogFilter,
    page: { limit: number; after?: LogPosition | undefined },
  ): Promise<{ items: StoredLogRecord[]; next: LogPosition | null }>;
}

interface Row {
  ts: string;
  row_key: string;
  TraceId: string;
  SpanId: string;
  SeverityText: string;
  SeverityNumber: number;
  ServiceName: string;
  EventName: string;
  Body: string;
  LogAttributes: Record<string, string>;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  job_id: string;
}

// Records have no id of their own: a hash of what they say orders those of one nanosecond, so a
// page boundary inside that nanosecond neither repeats nor skips one (identical copies, a
// sender's retry, are one record).
const rowKey = 'cityHash64(TraceId, SpanId, EventName, Body, toString(LogAttributes))';

/**
 * Log record search over otel_logs, newest first, paged by (time, row key).
 * @example const { items, next } = await storeLogSearch(store).logs('default', { fromNs, toNs, traceId }, { limit: 50 });
 */
export function storeLogSearch(store: ClickHouseStore): LogSearch {
  return {
    async logs(projectId, filter, { limit, after }) {
      const { where, params, equal, continueAfter } = newestFirstWhere('Timestamp', projectId, filter, limit);
      equal('TraceId', 'traceId', filter.traceId?.toLowerCase());
      equal('SpanId', 'spanId', filter.spanId?.toLowerCase());
      equal('ServiceName', 'service', filter.service);
      equal('EventName', 'eventName', filter.eventName);
      equal('job_id', 'jobId', filter.jobId);
      if (filter.minSeverity !== undefined) {
        where.push('SeverityNumber >= {minSeverity:UInt8}');
        params.minSeverity = filter.minSeverity;
      }
      continueAfter(rowKey, after);
      const result = await store.client.query({
        query: `
          SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, toString(${rowKey}) AS row_key,
            TraceId, SpanId, SeverityText, SeverityNumber, ServiceName, EventName, Body, LogAttributes,
            ResourceAttributes, ScopeName, ScopeVersion, job_id
          FROM \`${store.database}\`.otel_logs
          WHERE ${where.join(' AND ')}
          ORDER BY Timestamp DESC, ${rowKey} DESC
          LIMIT {limit:UInt32}`,
        query_params: params,
        format: 'JSONEachRow',
      });
      const rows = await result.json<Row>();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => ({
          timeUnixNano: r.ts,
          time: isoFromNanos(BigInt(r.ts)),
          traceId: r.TraceId,
          spanId: r.SpanId,
          severityText: r.SeverityText,
          severityNumber: Number(r.SeverityNumber),
          serviceName: r.ServiceName,
          eventName: r.EventName,
          body: r.Body,
          attributes: r.LogAttributes,
          resourceAttributes: r.ResourceAttributes,
          scope: { name: r.ScopeName, version: r.ScopeVersion },
          jobId: r.job_id === '' ? null : r.job_id,
        })),
        next: rows.length > limit && last ? [last.ts, last.row_key] : null,
      };
    },
  };
}
