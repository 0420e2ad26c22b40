// The clickhouse package as a role's config and pipeline builder see it: the store's sections and
// the exporter's schema, without the store client, the row encoders or the migrations, which load
// when a pipeline creates the exporter or a role opens the store (`@llmp/clickhouse/components`;
// issue 21, item 1).
import { lazyFactory } from '@llmp/pipeline';
import { clickhouseExporterConfig } from './clickhouseExporterConfig.ts';

export { type ClickHouseExporterConfig, clickhouseExporterConfig } from './clickhouseExporterConfig.ts';
export { type ClickHouseTlsConfig, clickhouseTlsConfig } from './clickhouseTls.ts';
export { embeddedEngineConfig, ingesterEmbeddedEngineConfig } from './embeddedEngine.ts';
export { clusterName } from './renderSchemaStep.ts';
export { retentionConfig } from './retention.ts';
export { storeResource } from './storeResource.ts';

/**
 * The `clickhouse` exporter (hostedClickhouseExporter), its code loaded on first create.
 * @example buildService({ config, factories: { …, exporters: [clickhouseExporterComponent] }, host, logger })
 */
export const clickhouseExporterComponent = lazyFactory(
  { type: 'clickhouse', configSchema: clickhouseExporterConfig, signals: ['traces', 'logs', 'metrics'] },
  async () => (await import('./hostedClickhouseExporter.ts')).hostedClickhouseExporter,
);
