import { type ClickHouseStore, deleteTrace, mlflowSyncTable } from '@llmp/clickhouse';
import {
  type MlflowExporterConfig,
  type MlflowSync,
  mlflowClient,
  mlflowSync,
  syncStateLog,
} from '@llmp/exporter-mlflow';
import type { Logger, Registry } from '@llmp/pipeline';
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
      const known = spans > 0 || (sync !== undefined && (await sync.state(projectId, traceId)) !== undefined);
      if (known && sync) {
        sync.enqueueDeletion(projectId, traceId);
        // 202 promises the MLflow deletion: its pending state is stored before the answer, so a
        // restart right after still carries it out.
        await sync.flushStates();
      }
      return known;
    },
    syncState: async (projectId, traceId) =>
      (await sync?.state(projectId, traceId)) as Record<string, unknown> | undefined,
  };
}

/**
 * For roles that serve the API but do not upload (`llmp query`, `llmp ingester --with-api`): a
 * queue that only carries deletions to MLflow, when `exporters.mlflow` is configured. States go
 * to the store's `mlflow_sync`, where `/sync` also sees what `llmp mlflow-exporter` uploaded, and
 * deletions a previous run left pending are taken up again (call `start`).
 * @example const sync = mlflowDeletions(config.exporters.mlflow, store, logger, registry); sync?.start();
 */
export function mlflowDeletions(
  config: MlflowExporterConfig | undefined,
  store: ClickHouseStore,
  logger: Logger,
  registry?: Registry,
): MlflowSync | undefined {
  if (!config) return undefined;
  const api = mlflowClient({
    trackingUri: config.trackingUri,
    headers: config.headers,
    timeoutMs: config.requestTimeout,
  });
  const child = logger.child({ component: 'mlflow' });
  const states = syncStateLog({
    table: mlflowSyncTable(store),
    maxTracked: config.maxTrackedTraces,
    logger: child,
    registry,
  });
  return mlflowSync({ api, config, logger: child, states, resume: { uploads: false, deletions: true } });
}
