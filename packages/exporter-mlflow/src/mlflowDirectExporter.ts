import type { TraceBatch } from '@llmp/otlp';
import {
  type Component,
  type Consumer,
  type ExporterFactory,
  onceShutdown,
  retryable,
  toExportError,
} from '@llmp/pipeline';
import { mlflowClient } from './mlflowClient.ts';
import type { MlflowExporterDeps } from './mlflowExporter.ts';
import { type MlflowExporterConfig, mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { sendUploads } from './sendUploads.ts';
import { syncStateLog } from './syncStateLog.ts';
import { traceUploads } from './traceUploads.ts';

/**
 * The `mlflow` exporter for a Kafka consumer (`llmp mlflow-exporter`): `consume` resolves only
 * once MLflow stored the batch and rejects with the failure's kind, so the receiver commits
 * offsets after MLflow accepted, retries retryable failures and dead-letters permanent ones.
 * @example const exporter = mlflowDirectExporterFactory().create(settings, config.exporters.mlflow, undefined);
 */
export function mlflowDirectExporterFactory(
  deps: MlflowExporterDeps = {},
): ExporterFactory<MlflowExporterConfig, TraceBatch> {
  return {
    type: 'mlflow',
    configSchema: mlflowExporterConfig,
    create(settings, config): Component & Consumer<TraceBatch> {
      const api =
        deps.api ??
        mlflowClient({
          trackingUri: config.trackingUri,
          headers: config.headers,
          timeoutMs: config.requestTimeout,
        });
      // Only with a shared table: states kept in this process alone would be read by nobody.
      const states = deps.stateTable
        ? syncStateLog({
            table: deps.stateTable,
            maxTracked: config.maxTrackedTraces,
            logger: settings.logger,
            registry: settings.registry,
          })
        : undefined;
      let stopping = false;
      return {
        async start() {},
        async consume(batch) {
          if (stopping) throw retryable('MLflow exporter is shut down');
          const uploads = traceUploads(batch, config.experiments);
          try {
            const experimentIds = await sendUploads(api, uploads, deps.jobNames);
            for (const u of uploads) {
              const experimentId = experimentIds.get(u.experiment);
              states?.set(u.projectId, u.traceId, {
                state: 'uploaded',
                operation: 'upload',
                attempts: 1,
                ...(experimentId ? { experimentId } : {}),
              });
            }
          } catch (caught) {
            // The receiver retries a retryable failure and dead-letters a permanent one.
            const error = toExportError(caught);
            for (const u of uploads) {
              states?.set(u.projectId, u.traceId, {
                state: error.kind === 'permanent' ? 'failed' : 'pending',
                operation: 'upload',
                attempts: 1,
                reason: error.message,
              });
            }
            throw error;
          }
        },
        shutdown: onceShutdown(async () => {
          stopping = true;
          await states?.close();
        }),
      };
    },
  };
}
