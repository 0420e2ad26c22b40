import { genAiOf } from '@llmp/genai';
import type { TraceBatch } from '@llmp/otlp';
import { type Component, type Consumer, type ExporterFactory, onceShutdown, retryable } from '@llmp/pipeline';
import { z } from 'zod';
import { classifyClickHouseError } from './classifyClickHouseError.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { spanRows } from './spanRows.ts';

export const clickhouseExporterConfig = z.object({
  /** Table the spans go to, inside the store's database. */
  table: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('spans'),
});

export type ClickHouseExporterConfig = z.infer<typeof clickhouseExporterConfig>;

/** A batch may name its own deduplication token (the Kafka ingester builds it from offsets). */
export interface DedupTokenSource {
  dedupToken?: string;
}

/**
 * The `clickhouse` exporter factory, bound to an open store (one store serves the exporter and
 * the query API in the all-in-one process). Each batch is one INSERT: it is stored whole or
 * not at all, and a retry with the same deduplication token never duplicates rows.
 * @example const exporter = clickhouseExporterFactory(store).create(settings, clickhouseExporterConfig.parse({}), undefined);
 */
export function clickhouseExporterFactory(
  store: ClickHouseStore,
): ExporterFactory<ClickHouseExporterConfig, TraceBatch> {
  return {
    type: 'clickhouse',
    configSchema: clickhouseExporterConfig,
    create(_settings, config): Component & Consumer<TraceBatch> {
      const table = `${store.database}.${config.table}`;
      let inFlight = 0;
      let stopping = false;
      let drained: (() => void) | undefined;
      return {
        async start() {},
        async consume(batch) {
          if (stopping) throw retryable('ClickHouse exporter is shut down');
          const rows = spanRows(batch.projectId, batch.request(), (span) => genAiOf(batch, span));
          if (rows.length === 0) return;
          const token = (batch as TraceBatch & DedupTokenSource).dedupToken;
          inFlight++;
          try {
            await store.client.insert({
              table,
              values: rows,
              format: 'JSONEachRow',
              clickhouse_settings: {
                deduplicate_blocks_in_dependent_materialized_views: 1,
                ...(token ? { insert_deduplication_token: token } : {}),
              },
            });
          } catch (error) {
            throw classifyClickHouseError(error, `insert of ${rows.length} spans into ${table}`);
          } finally {
            inFlight--;
            if (inFlight === 0) drained?.();
          }
        },
        shutdown: onceShutdown(async () => {
          stopping = true;
          if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        }),
      };
    },
  };
}
