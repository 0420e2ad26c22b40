import type { ClickHouseStore } from './clickhouseStore.ts';
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
  };
}
