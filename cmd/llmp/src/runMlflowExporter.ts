import type { Logger } from '@llmp/pipeline';
import { jobsProvider, mlflowRecordsProvider, mlflowStoreProvider, storeProvider } from './hostResources.ts';
import { kafkaProvider } from './kafkaProvider.ts';
import type { MlflowExporterRoleConfig } from './roleConfigs.ts';
import { type Running, runRole } from './runRole.ts';

/**
 * A request to MLflow blocks the partition's heartbeats: one that outlives the session would get
 * the member dropped from the group while MLflow hangs, so each `mlflow` exporter's requests are
 * cut at half the shortest session of the Kafka receivers feeding it.
 */
function cappedRequestTimeouts(config: MlflowExporterRoleConfig): MlflowExporterRoleConfig {
  const exporters: Record<string, unknown> = { ...config.exporters };
  for (const [id, exporter] of Object.entries(config.exporters)) {
    if (id.split('/')[0] !== 'mlflow') continue;
    const sessions = Object.values(config.service.pipelines)
      .filter((p) => p.exporters.includes(id))
      .flatMap((p) => p.receivers)
      .map((r) => (config.receivers[r] as { sessionTimeout?: number } | undefined)?.sessionTimeout)
      .filter((s): s is number => typeof s === 'number');
    const timeout = (exporter as { requestTimeout: number }).requestTimeout;
    exporters[id] = {
      ...(exporter as object),
      requestTimeout: Math.min(timeout, ...sessions.map((s) => s / 2)),
    };
  }
  return { ...config, exporters: exporters as MlflowExporterRoleConfig['exporters'] };
}

/**
 * `llmp mlflow-exporter`: the pipelines of `deploy/config/mlflow-exporter.yaml` (by default
 * `otlp_spans` in group llmp-mlflow → MLflow). The Kafka receiver commits offsets only after
 * MLflow accepted a batch and puts records MLflow refuses for good on the dead-letter topic.
 * With a ClickHouse server configured, sync states go to its `mlflow_sync` and job names come
 * from its jobs table (an embedded store belongs to the process that opened it).
 * @example const running = await runMlflowExporter(config, { logger });
 */
export async function runMlflowExporter(
  config: MlflowExporterRoleConfig,
  { logger }: { logger: Logger },
): Promise<Running> {
  const running = await runRole({
    config: cappedRequestTimeouts(config),
    logger,
    providers: (context) => [
      kafkaProvider(config.kafka, logger),
      ...(config.clickhouse.url
        ? [storeProvider({ ...config.clickhouse }, context), jobsProvider({ logger }), mlflowStoreProvider()]
        : [mlflowRecordsProvider()]),
    ],
    telemetry: config.telemetry,
  });
  logger.info(
    {
      trackingUri: config.exporters.mlflow.trackingUri,
      syncStates: config.clickhouse.url ? 'store' : 'not kept',
    },
    'uploading otlp_spans to MLflow',
  );
  return running;
}
