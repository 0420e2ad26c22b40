import type { ClickHouseStore } from './clickhouseStore.ts';
import { readTrace, type TraceSpanPage } from './readTrace.ts';
import { type LogSearch, storeLogSearch } from './searchLogs.ts';
import type { StoredSpan } from './storedSpan.ts';
import { type SpanSearch, storeSpanSearch } from './storeSpanSearch.ts';

/**
 * What the query API reads, over a ClickHouse store.
 * @example queryApp({ source: storeTraceSource(store) })
 */
export function storeTraceSource(store: ClickHouseStore): {
  readTrace(projectId: string, traceId: string, page?: TraceSpanPage): Promise<StoredSpan[]>;
  ping(): Promise<void>;
  search: SpanSearch;
  logs: LogSearch;
} {
  return {
    readTrace: (projectId, traceId, page) => readTrace(store, projectId, traceId, page),
    search: storeSpanSearch(store),
    logs: storeLogSearch(store),
    ping: async () => {
      // A store that answers reads but refuses writes (disk full, read-only) is not ready.
      const problem = store.writeHealth.problem();
      if (problem) throw new Error(problem);
      await store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
    },
  };
}
