import type { ClickHouseStore } from './clickhouseStore.ts';
import { readTrace, readTraceSpan, type TraceSpanPage } from './readTrace.ts';
import { readTraceOutline, type TraceOutline } from './readTraceOutline.ts';
import { type LogSearch, storeLogSearch } from './searchLogs.ts';
import { type MetricPointSearch, storeMetricPointSearch } from './searchMetricPoints.ts';
import type { StoredSpan } from './storedSpan.ts';
import { type SpanSearch, storeSpanSearch } from './storeSpanSearch.ts';

/**
 * What the query API reads, over a ClickHouse store.
 * @example queryApp({ source: storeTraceSource(store) })
 */
export function storeTraceSource(store: ClickHouseStore): {
  readTrace(projectId: string, traceId: string, page?: TraceSpanPage): Promise<StoredSpan[]>;
  readTraceOutline(projectId: string, traceId: string, limit: number): Promise<TraceOutline | undefined>;
  readSpan(projectId: string, traceId: string, spanId: string): Promise<StoredSpan | undefined>;
  ping(): Promise<void>;
  search: SpanSearch;
  logs: LogSearch;
  metricPoints: MetricPointSearch;
} {
  return {
    readTrace: (projectId, traceId, page) => readTrace(store, projectId, traceId, page),
    readTraceOutline: (projectId, traceId, limit) => readTraceOutline(store, projectId, traceId, { limit }),
    readSpan: (projectId, traceId, spanId) => readTraceSpan(store, projectId, traceId, spanId),
    search: storeSpanSearch(store),
    logs: storeLogSearch(store),
    metricPoints: storeMetricPointSearch(store),
    ping: async () => {
      // A store that answers reads but refuses writes (disk full, read-only) is not ready.
      const problem = store.writeHealth.problem();
      if (problem) throw new Error(problem);
      await store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
    },
  };
}
