import type { ClickHouseStore } from './clickhouseStore.ts';
import { readTrace } from './readTrace.ts';
import type { StoredSpan } from './storedSpan.ts';

/**
 * What the query API reads, over a ClickHouse store.
 * @example queryApp({ source: storeTraceSource(store) })
 */
export function storeTraceSource(store: ClickHouseStore): {
  readTrace(projectId: string, traceId: string): Promise<StoredSpan[]>;
  ping(): Promise<void>;
} {
  return {
    readTrace: (projectId, traceId) => readTrace(store, projectId, traceId),
    ping: async () => {
      await store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
    },
  };
}
