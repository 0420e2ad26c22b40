import type { ClickHouseStore } from '@llmp/clickhouse';

type InsertSettings = Parameters<ClickHouseStore['client']['insert']>[0]['clickhouse_settings'];

/**
 * Rows written straight into `spans`, as the exporter writes a batch: on an embedded store past
 * migration 31 the same rows go into `spans_derive` too, which fills the derived tables
 * (trace_search, span_metrics_hourly …), with the same settings (and so the same token).
 * @example await insertSpans(store, [{ project_id: 'p', TraceId: 'a'.repeat(32), SpanId: '1' }]);
 */
export async function insertSpans(
  store: ClickHouseStore,
  values: Array<Record<string, unknown>>,
  settings: InsertSettings = {},
): Promise<void> {
  const derive = await store.client.query({
    query: "SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = 'spans_derive'",
    query_params: { db: store.database },
    format: 'JSONEachRow',
  });
  const derived = Number((await derive.json<{ n: string }>())[0]!.n) > 0;
  for (const table of derived ? ['spans', 'spans_derive'] : ['spans'])
    await store.client.insert({
      table: `${store.database}.${table}`,
      values,
      format: 'JSONEachRow',
      clickhouse_settings: settings,
    });
}
