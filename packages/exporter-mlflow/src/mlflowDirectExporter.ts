import type { TraceBatch } from '@llmp/otlp';
import { type Component, type Consumer, type ExporterFactory, onceShutdown, retryable } from '@llmp/pipeline';
import { mlflowClient } from './mlflowClient.ts';
import type { MlflowExporterDeps } from './mlflowExporter.ts';
import { type MlflowExporterConfig, mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { sendUploads } from './sendUploads.ts';
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
    create(_settings, config): Component & Consumer<TraceBatch> {
      const api =
        deps.api ??
        mlflowClient({
          trackingUri: config.trackingUri,
          headers: config.headers,
          timeoutMs: config.requestTimeout,
        });
      let stopping = false;
      return {
        async start() {},
        async consume(batch) {
          if (stopping) throw retryable('MLflow exporter is shut down');
          await sendUploads(api, traceUploads(batch, config.experiments));
        },
        shutdown: onceShutdown(async () => {
          stopping = true;
        }),
      };
    },
  };
}
