import { createHash } from 'node:crypto';
import type { MetricBatch } from '@llmp/otlp';
import type { Component, Consumer } from '@llmp/pipeline';
import { classifyClickHouseError } from './classifyClickHouseError.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { type MetricRow, metricRows } from './metricRows.ts';

/** Data point rows in one INSERT at most: a bigger write is split into parts of this size. */
export const defaultMaxRowsPerInsert = 20_000;

export interface MetricsWriterOptions {
  /** Rows per INSERT at most (README, Limits); default 20 000. */
  maxRowsPerInsert?: number;
}

export interface MetricsWriter extends Component, Consumer<MetricBatch> {
  /**
   * Writes the data points of decoded metrics batches (one table INSERT per metric type and
   * part), idempotently: each INSERT carries a deduplication token made of `dedupToken` (the
   * ingester's topic, partition and offsets) or, without one, of the rows' own content, so a
   * retry after a partial failure stores nothing twice.
   */
  write(batches: readonly MetricBatch[], options?: { dedupToken?: string | undefined }): Promise<void>;
}

const digest = (rows: MetricRow[]) => createHash('sha256').update(JSON.stringify(rows)).digest('base64url');

/**
 * Writes metric batches to the otel_metrics_* tables, through the client's insert API (values
 * never in SQL text), answered once stored so the sender's retry holds the data meanwhile. The
 * ingester can call `write` with Kafka-read requests and the batch's deduplication token.
 * @example const writer = clickhouseMetricsWriter(store); await writer.write([{ projectId: 'default', request, dataPointCount }]);
 */
export function clickhouseMetricsWriter(
  store: ClickHouseStore,
  { maxRowsPerInsert = defaultMaxRowsPerInsert }: MetricsWriterOptions = {},
): MetricsWriter {
  async function write(
    batches: readonly MetricBatch[],
    { dedupToken }: { dedupToken?: string | undefined } = {},
  ) {
    for (const [table, rows] of metricRows(batches)) {
      for (let from = 0, part = 0; from < rows.length; from += maxRowsPerInsert, part++) {
        const values = rows.slice(from, from + maxRowsPerInsert);
        const target = `${store.database}.${table}`;
        try {
          await store.client.insert({
            table: target,
            values,
            format: 'JSONEachRow',
            clickhouse_settings: {
              // Always set: on the embedded store settings outlive the call (see openStore).
              insert_deduplication_token: `${dedupToken ?? digest(values)}:${table}:${part}`,
            },
          });
          store.writeHealth.succeeded();
        } catch (error) {
          store.writeHealth.failed(error);
          throw classifyClickHouseError(error, `insert of ${values.length} data points into ${target}`);
        }
      }
    }
  }
  return {
    async start() {},
    async shutdown() {},
    write,
    consume: (batch) => write([batch], { dedupToken: batch.meta?.dedupToken }),
  };
}
