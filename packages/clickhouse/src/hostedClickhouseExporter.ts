import { hostedFactory, resourceKey } from '@llmp/pipeline';
import { clickhouseExporter, clickhouseExporterConfig } from './clickhouseExporter.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';

/** The host's ClickHouse store, opened and migrated (a server, or the embedded engine). */
export const storeResource = resourceKey<ClickHouseStore>('ClickHouse store (clickhouse section)');

/**
 * The `clickhouse` exporter as a plain factory: one INSERT per batch into the host's store,
 * counted under its id (llmp_exporter_*_spans_total).
 * @example buildService({ config, factories: { …, exporters: [hostedClickhouseExporter] }, host, logger })
 */
export const hostedClickhouseExporter = hostedFactory(
  'clickhouse',
  clickhouseExporterConfig,
  async (settings, config) => clickhouseExporter(await settings.host.get(storeResource), settings, config),
);
