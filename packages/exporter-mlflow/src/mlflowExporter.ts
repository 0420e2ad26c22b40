import type { TraceBatch } from '@llmp/otlp';
import { type Component, type Consumer, type Factory, onceShutdown } from '@llmp/pipeline';
import { type MlflowApi, mlflowClient } from './mlflowClient.ts';
import { type MlflowExporterConfig, mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { type MlflowSync, mlflowSync } from './mlflowSync.ts';
import { traceUploads } from './traceUploads.ts';

export interface MlflowExporter extends Component, Consumer<TraceBatch> {
  /** The upload / deletion queue, for the query API's DELETE and sync state. */
  sync: MlflowSync;
}

/** The MLflow API to use instead of HTTP (tests). */
export interface MlflowExporterDeps {
  api?: MlflowApi;
}

/**
 * The `mlflow` exporter for the all-in-one process: `consume` only queues the batch's traces
 * (bounded) and returns, so MLflow being slow or down never holds ingestion up.
 * @example const mlflow = mlflowExporterFactory().create(settings, config.exporters.mlflow, undefined);
 */
export function mlflowExporterFactory(
  deps: MlflowExporterDeps = {},
): Factory<MlflowExporterConfig, undefined, MlflowExporter> {
  return {
    type: 'mlflow',
    configSchema: mlflowExporterConfig,
    create(settings, config): MlflowExporter {
      const api =
        deps.api ??
        mlflowClient({
          trackingUri: config.trackingUri,
          headers: config.headers,
          timeoutMs: config.requestTimeout,
        });
      const sync = mlflowSync({ api, config, logger: settings.logger });
      return {
        sync,
        async start() {
          settings.logger.info({ trackingUri: config.trackingUri }, 'MLflow exporter queueing uploads');
        },
        async consume(batch) {
          sync.enqueueUploads(traceUploads(batch, config.experiments));
        },
        shutdown: onceShutdown(async () => {
          await sync.shutdown();
          settings.logger.info(sync.stats(), 'MLflow exporter stopped');
        }),
      };
    },
  };
}
