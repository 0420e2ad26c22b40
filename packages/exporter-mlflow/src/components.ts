// The MLflow exporter as a role's config and pipeline builder see it: its client and upload queue
// load when a pipeline creates it (`@llmp/exporter-mlflow/components`; issue 21, item 1).
import { lazyFactory } from '@llmp/pipeline';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';

export { type MlflowExporterConfig, mlflowExporterConfig } from './mlflowExporterConfig.ts';
export { mlflowStoreResource, mlflowSyncResource } from './mlflowResources.ts';
export { mlflowSyncMetrics } from './mlflowSyncMetrics.ts';

/**
 * The `mlflow` exporter (hostedMlflowExporter), its code loaded on first create.
 * @example buildService({ config, factories: { …, exporters: [mlflowExporterComponent] }, host, logger })
 */
export const mlflowExporterComponent = lazyFactory(
  {
    type: 'mlflow',
    configSchema: mlflowExporterConfig,
    follows: ['clickhouse'],
    signals: ['traces', 'logs'],
  },
  async () => (await import('./hostedMlflowExporter.ts')).hostedMlflowExporter,
);
