import { hostedFactory } from '@llmp/pipeline';
import { mlflowExporter } from './mlflowExporter.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { mlflowStoreResource, mlflowSyncResource } from './mlflowResources.ts';

export { mlflowStoreResource, mlflowSyncResource };

/**
 * The `mlflow` exporter as a plain factory. Beside a `clickhouse` exporter in a pipeline it
 * follows it: it gets a batch only once ClickHouse stored it and, its sending queue on unless
 * configured off, uploads from its own bounded queue (pending uploads are rebuilt from the store
 * after a restart) and offers that queue to the query API. Alone (fed by a Kafka receiver) its
 * queue is off unless configured on: it answers once MLflow accepted, so offsets are committed
 * only then.
 * @example buildService({ config, factories: { …, exporters: [hostedClickhouseExporter, hostedMlflowExporter] }, host, logger })
 */
export const hostedMlflowExporter = hostedFactory(
  'mlflow',
  mlflowExporterConfig,
  async (settings, config) => {
    const { host } = settings;
    const queued = config.sendingQueue.enabled ?? settings.leader !== undefined;
    const deps = settings.leader
      ? await host.get(mlflowStoreResource)
      : ((await host.find(mlflowStoreResource)) ?? {});
    const exporter = mlflowExporter(deps, settings, config, { queued });
    if (exporter.sync) host.provide(mlflowSyncResource, exporter.sync);
    return exporter;
  },
  // In a logs pipeline (after clickhouse stored the records) it sends again the traces whose
  // GenAI event records came after their spans were sent.
  { follows: ['clickhouse'], signals: ['traces', 'logs'] },
);
