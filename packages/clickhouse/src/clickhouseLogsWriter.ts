import type { LogBatch } from '@llmp/otlp';
import type { Component, Consumer } from '@llmp/pipeline';
import { classifyClickHouseError } from './classifyClickHouseError.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { logRows } from './logRows.ts';

/**
 * Writes log batches to otel_logs: one INSERT per batch through the client's insert API (values
 * never in SQL text), answered once stored, so the sender's retry holds the data meanwhile; a
 * batch's dedup token (from the Kafka receiver) makes a repeated insert a no-op.
 * @example const writer = clickhouseLogsWriter(store); await writer.consume(batch);
 */
export function clickhouseLogsWriter(
  store: ClickHouseStore,
  { table = `${store.database}.otel_logs` }: { table?: string } = {},
): Component & Consumer<LogBatch> {
  return {
    async start() {},
    async shutdown() {},
    async consume(batch) {
      const values = logRows(batch);
      if (values.length === 0) return;
      try {
        await store.client.insert({
          table,
          values,
          format: 'JSONEachRow',
          // The Kafka receiver's token (topic/partition/offset range): a redelivered range of
          // otlp_logs is dropped by the table's deduplication window instead of stored twice.
          clickhouse_settings: { insert_deduplication_token: batch.meta?.dedupToken ?? '' },
        });
        store.writeHealth.succeeded();
      } catch (error) {
        store.writeHealth.failed(error);
        throw classifyClickHouseError(error, `insert of ${values.length} log records into ${table}`);
      }
    },
  };
}
