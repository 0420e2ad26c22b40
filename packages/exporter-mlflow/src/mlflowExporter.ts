import type { TraceBatch, TraceRequest } from '@llmp/otlp';
import { type Component, type Consumer, type Factory, onceShutdown } from '@llmp/pipeline';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowClient } from './mlflowClient.ts';
import { type MlflowExporterConfig, mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { type MlflowSync, mlflowSync } from './mlflowSync.ts';
import { type SyncStateTable, syncStateLog } from './syncStateLog.ts';
import { traceUploads } from './traceUploads.ts';

export interface MlflowExporter extends Component, Consumer<TraceBatch> {
  /** The upload / deletion queue, for the query API's DELETE and sync state. */
  sync: MlflowSync;
}

export interface MlflowExporterDeps {
  /** The MLflow API to use instead of HTTP (tests). */
  api?: MlflowApi;
  /** Where sync states are kept across restarts and shared with other roles; memory only without it. */
  stateTable?: SyncStateTable | undefined;
  /** The stored spans of a trace as OTLP, to rebuild uploads a previous run left pending. */
  storedTrace?: ((projectId: string, traceId: string) => Promise<TraceRequest | undefined>) | undefined;
  /** Job names from the jobs table, for the `llmp.job.name` trace tag. */
  jobNames?: JobNames | undefined;
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
      const states = syncStateLog({
        table: deps.stateTable,
        maxTracked: config.maxTrackedTraces,
        logger: settings.logger,
        registry: settings.registry,
      });
      const sync = mlflowSync({
        api,
        config,
        logger: settings.logger,
        states,
        storedTrace: deps.storedTrace,
        jobNames: deps.jobNames,
        registry: settings.registry,
      });
      return {
        sync,
        async start() {
          await sync.start();
          settings.logger.info(
            { trackingUri: config.trackingUri, durableStates: states.durable },
            'MLflow exporter queueing uploads',
          );
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
