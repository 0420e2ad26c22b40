import { hostedFactory, resourceKey } from '@llmp/pipeline';
import { mlflowDirectExporterFactory } from './mlflowDirectExporter.ts';
import { type MlflowExporterDeps, mlflowExporterFactory } from './mlflowExporter.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import type { MlflowSync } from './mlflowSync.ts';

/**
 * What the exporter reads and writes in the host's store (sync states, stored traces, job
 * names); roles without a shared store offer none, and then no states are kept.
 */
export const mlflowStoreResource =
  resourceKey<Required<Omit<MlflowExporterDeps, 'api'>>>('MLflow state in the store');
/** The upload/deletion queue of an `mlflow` exporter following the store, for the query API's DELETE. */
export const mlflowSyncResource = resourceKey<MlflowSync>('MLflow sync queue');

/**
 * The `mlflow` exporter as a plain factory. Beside a `clickhouse` exporter in a pipeline it
 * follows it: it gets a batch only once ClickHouse stored it and uploads from its own bounded
 * queue (its consume never waits; pending uploads are rebuilt from the store after a restart),
 * and offers that queue to the query API. Alone (fed by a Kafka receiver) it answers once
 * MLflow accepted, so offsets are committed only then.
 * @example buildService({ config, factories: { …, exporters: [hostedClickhouseExporter, hostedMlflowExporter] }, host, logger })
 */
export const hostedMlflowExporter = hostedFactory(
  'mlflow',
  mlflowExporterConfig,
  async (settings, config) => {
    const { host } = settings;
    if (settings.leader) {
      const exporter = mlflowExporterFactory(await host.get(mlflowStoreResource)).create(
        settings,
        config,
        undefined,
      );
      host.provide(mlflowSyncResource, exporter.sync);
      return exporter;
    }
    const deps = (await host.find(mlflowStoreResource)) ?? {};
    return mlflowDirectExporterFactory(deps).create(settings, config, undefined);
  },
  { follows: ['clickhouse'] },
);
