import { type ClickHouseStore, deleteTrace } from '@llmp/clickhouse';
import { type MlflowExporterConfig, type MlflowSync, mlflowClient, mlflowSync } from '@llmp/exporter-mlflow';
import type { TraceBatch } from '@llmp/otlp';
import type { Consumer, Logger } from '@llmp/pipeline';
import type { TraceDeletion } from '@llmp/query-api';

/**
 * `DELETE /v1/traces/{id}` over the store, followed by the trace's deletion from MLflow when
 * MLflow is configured; `/sync` reads the MLflow sync state.
 * @example queryApiServer({ …, deletion: traceDeletion(store, mlflow?.sync) })
 */
export function traceDeletion(store: ClickHouseStore, sync: MlflowSync | undefined): TraceDeletion {
  return {
    async deleteTrace(projectId, traceId) {
      const spans = await deleteTrace(store, projectId, traceId);
      const known = spans > 0 || sync?.state(projectId, traceId) !== undefined;
      if (known) sync?.enqueueDeletion(projectId, traceId);
      return known;
    },
    syncState: (projectId, traceId) => sync?.state(projectId, traceId) as Record<string, unknown> | undefined,
  };
}

/**
 * For roles that serve the API but do not upload (`llmp query`, `llmp ingester --with-api`): a
 * queue that only carries deletions to MLflow, when `exporters.mlflow` is configured.
 * @example const sync = mlflowDeletions(config.exporters.mlflow, logger);
 */
export function mlflowDeletions(
  config: MlflowExporterConfig | undefined,
  logger: Logger,
): MlflowSync | undefined {
  if (!config) return undefined;
  const api = mlflowClient({
    trackingUri: config.trackingUri,
    headers: config.headers,
    timeoutMs: config.requestTimeout,
  });
  return mlflowSync({ api, config, logger: logger.child({ component: 'mlflow' }) });
}

/**
 * A consumer that hands a batch to `then` only once `first` stored it, so nothing reaches
 * MLflow that the store refused (the sender retries those).
 * @example batchProcessorFactory.create(settings, config, storedThen(clickhouse, mlflow))
 */
export function storedThen(first: Consumer<TraceBatch>, then: Consumer<TraceBatch>): Consumer<TraceBatch> {
  return {
    async consume(batch) {
      await first.consume(batch);
      await then.consume(batch);
    },
  };
}
