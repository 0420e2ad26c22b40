// The shapes the query API answers with, taken from the server's own types (type-only imports:
// nothing of the server reaches the bundle), so the UI cannot drift from what the API sends.
import type {
  MetricDimension,
  MetricsRow,
  SessionSummary,
  SpanOutline,
  StoredSpan,
  TraceSummary as StoredTraceSummary,
  TraceOutline,
} from '@llmp/clickhouse';

export type { JobEvent, JobMetrics, JobRecord, JobRunMetrics, JobTrace, Page } from '@llmp/jobs';
export type { MetricDimension, MetricsRow, SessionSummary, SpanOutline, TraceOutline };

/** `GET /v1/traces/{traceId}/spans/{spanId}`, and each span of `GET /v1/traces/{traceId}`. */
export type Span = StoredSpan;
export type Attributes = StoredSpan['attributes'];
export type TraceSummary = StoredTraceSummary;

/** `GET /v1/traces` (searchRoutes.ts). */
export interface TracePage {
  traces: TraceSummary[];
  next_cursor: string | null;
}
