import type { ClickHouseStore } from './clickhouseStore.ts';
import { type SessionKey, type SessionSummary, searchSessions } from './searchSessions.ts';
import { type SpanSummary, searchSpans } from './searchSpans.ts';
import { type Page, type PageRequest, searchTraces, type TraceSummary } from './searchTraces.ts';
import type { SpanFilter } from './spanFilter.ts';
import { type MetricsRequest, type MetricsRow, type MetricsSource, spanMetrics } from './spanMetrics.ts';
import { withEventPreviews } from './withEventPreviews.ts';

/** Trace and span search and span metrics, as the query API calls them. */
export interface SpanSearch {
  traces(projectId: string, filter: SpanFilter, page: PageRequest): Promise<Page<TraceSummary>>;
  spans(projectId: string, filter: SpanFilter, page: PageRequest): Promise<Page<SpanSummary>>;
  metrics(
    projectId: string,
    filter: SpanFilter,
    request: MetricsRequest,
  ): Promise<{ rows: MetricsRow[]; truncated: boolean; source: MetricsSource }>;
  /** Traces grouped by session or user; without it `/v1/sessions` is not served. */
  sessions?(
    projectId: string,
    filter: SpanFilter,
    request: { by: SessionKey; limit: number },
  ): Promise<{ items: SessionSummary[]; truncated: boolean }>;
}

/**
 * Search and metrics over a ClickHouse store.
 * @example queryApp({ source: { ...storeTraceSource(store), search: storeSpanSearch(store) } })
 */
export function storeSpanSearch(store: ClickHouseStore): SpanSearch {
  return {
    traces: (projectId, filter, page) => searchTraces(store, projectId, filter, page),
    spans: async (projectId, filter, page) =>
      withEventPreviews(store, projectId, await searchSpans(store, projectId, filter, page)),
    metrics: (projectId, filter, request) => spanMetrics(store, projectId, filter, request),
    sessions: (projectId, filter, request) => searchSessions(store, projectId, filter, request),
  };
}
