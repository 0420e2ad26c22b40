export { anyValueJson, anyValueText, attributeColumns, typedAttributes } from './attributeColumns.ts';
export { classifyClickHouseError } from './classifyClickHouseError.ts';
export {
  type ClickHouseExporterConfig,
  clickhouseExporterConfig,
  clickhouseExporterFactory,
  type DedupTokenSource,
} from './clickhouseExporter.ts';
export { type ClickHouseStore, type OpenStoreOptions, openStore, StoreOpenError } from './clickhouseStore.ts';
export { deleteTrace } from './deleteTrace.ts';
export { type MigrationReport, migrate } from './migrate.ts';
export { type Migration, migrations } from './migrations.ts';
export { readTrace } from './readTrace.ts';
export { genAiColumns, jobLink } from './spanColumns.ts';
export { type SpanRow, spanRows } from './spanRows.ts';
export { clickhouseTime, isoFromNanos, type StoredSpan } from './storedSpan.ts';
export { storeTraceSource } from './storeTraceSource.ts';
