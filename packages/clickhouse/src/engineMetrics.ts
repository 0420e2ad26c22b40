import { Gauge, type Registry } from '@llmp/pipeline';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { deriveMetrics } from './deriveMetrics.ts';

/**
 * Gauges of the embedded engine, read from its system tables when `/metrics` is scraped:
 * `llmp_store_engine_memory_bytes` (what the engine tracks: inserts, merges, queries, caches)
 * and `llmp_store_merges_memory_bytes` (its running merges). The process's resident memory
 * (`process_resident_memory_bytes`) holds these, Node's heap and the allocator's kept pages.
 * Nothing for a ClickHouse server, whose own metrics describe it. A failed read keeps the
 * last value rather than failing the scrape. With them, the deriver's (deriveMetrics.ts).
 * @example engineMetrics(store, registry);
 */
export function engineMetrics(store: ClickHouseStore, registry: Registry): void {
  if (!store.embedded) return;
  deriveMetrics(store, registry);
  const value = async (query: string): Promise<number | undefined> => {
    try {
      const result = await store.client.query({ query, format: 'JSONEachRow' });
      const [row] = await result.json<{ value: string | null }>();
      return Number(row?.value ?? 0);
    } catch {
      return undefined;
    }
  };
  const gauge = (name: string, help: string, query: string) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const read = await value(query);
        if (read !== undefined) this.set(read);
      },
    });
  gauge(
    'llmp_store_engine_memory_bytes',
    'Memory the embedded ClickHouse engine tracks (inserts, merges, queries, caches)',
    "SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'",
  );
  gauge(
    'llmp_store_merges_memory_bytes',
    "Memory of the embedded ClickHouse engine's running merges",
    'SELECT sum(memory_usage) AS value FROM system.merges',
  );
}
