export {
  anyValueJson,
  anyValueText,
  attributeColumns,
  otlpAttributes,
  typedAttributes,
} from './attributeColumns.ts';
export { classifyClickHouseError } from './classifyClickHouseError.ts';
export {
  type ClickHouseExporterConfig,
  clickhouseExporter,
  clickhouseExporterConfig,
} from './clickhouseExporter.ts';
export { clickhouseLogsWriter } from './clickhouseLogsWriter.ts';
export {
  clickhouseMetricsWriter,
  defaultMaxRowsPerInsert,
  type MetricsWriter,
  type MetricsWriterOptions,
} from './clickhouseMetricsWriter.ts';
export {
  type ClickHouseStore,
  type OpenStoreOptions,
  openStore,
  type RawInsert,
  StoreOpenError,
} from './clickhouseStore.ts';
export { type ClickHouseTlsConfig, clickhouseTls, clickhouseTlsConfig } from './clickhouseTls.ts';
export { deleteTrace } from './deleteTrace.ts';
export { deriveMetrics } from './deriveMetrics.ts';
export {
  allocatorConf,
  type EmbeddedEngineOptions,
  embeddedEngineConfig,
  engineArgs,
  ingesterEmbeddedEngineConfig,
} from './embeddedEngine.ts';
export { engineMetrics } from './engineMetrics.ts';
export {
  type GenAiEventRecord,
  genAiEventMessages,
  genAiEventText,
  genAiRecordMessages,
} from './genAiEventText.ts';
export { genAiRowColumns, preview } from './genAiRowColumns.ts';
export {
  evaluationResultEvent,
  genAiScoresMigration,
  scoresFromLogsSelect,
  scoresFromSpansSelect,
} from './genAiScoresMigration.ts';
export { hostedClickhouseExporter, storeResource } from './hostedClickhouseExporter.ts';
export { insertRowBinary } from './insertRowBinary.ts';
export {
  type MetricRow,
  type MetricRowsByTable,
  type MetricTable,
  metricRows,
  metricTables,
} from './metricRows.ts';
export {
  latestSchemaVersion,
  type MigrateOptions,
  type MigrationReport,
  migrate,
  renderMigrations,
  requireSchema,
  SchemaBehindError,
  schemaVersion,
  storeTarget,
} from './migrate.ts';
export {
  type MigrationLock,
  MigrationLockError,
  type MigrationLockOptions,
  migrationLockTable,
  takeMigrationLock,
} from './migrationLock.ts';
export { type Migration, migrations } from './migrations.ts';
export {
  type MlflowSyncRow,
  type MlflowSyncTable,
  mlflowSyncTable,
  type PendingQuery,
} from './mlflowSyncTable.ts';
export { payloadBuffers } from './payloadBuffers.ts';
export {
  readGenAiEvents,
  readStoredSpans,
  readTrace,
  readTraceSpan,
  readTraceSpans,
  type TraceSpanPage,
} from './readTrace.ts';
export { readTraceOutline, type SpanOutline, type TraceOutline } from './readTraceOutline.ts';
export { maxStoredTraceSpans, readTraceRequest } from './readTraceRequest.ts';
export { readTraceScores } from './readTraceScores.ts';
export {
  clusterName,
  localName,
  renderSchemaStep,
  type SchemaTarget,
  targetParts,
} from './renderSchemaStep.ts';
export {
  applyRetention,
  currentTtl,
  type RetentionConfig,
  retentionConfig,
  retentionStatements,
  retentionTables,
  ttlExpression,
} from './retention.ts';
export type { SchemaStep, TableEngine } from './schemaStep.ts';
export {
  type LogFilter,
  type LogPosition,
  type LogSearch,
  type StoredLogRecord,
  storeLogSearch,
} from './searchLogs.ts';
export {
  type MetricPointFilter,
  type MetricPointPosition,
  type MetricPointSearch,
  type StoredExemplar,
  type StoredMetricPoint,
  type StoredMetricType,
  storeMetricPointSearch,
} from './searchMetricPoints.ts';
export { type SessionKey, type SessionSummary, searchSessions } from './searchSessions.ts';
export { type SpanSummary, searchSpans } from './searchSpans.ts';
export {
  type Page,
  type PagePosition,
  type PageRequest,
  type SortKey,
  type SortOrder,
  searchTraces,
  type TraceSummary,
  usageSpans,
} from './searchTraces.ts';
export { jobLink } from './spanColumns.ts';
export { QueryParams, type SpanFilter, spanFilterSql } from './spanFilter.ts';
export {
  type MetricDimension,
  type MetricsRequest,
  type MetricsRow,
  type MetricsSource,
  metricDimensions,
  spanMetrics,
} from './spanMetrics.ts';
export { spanRowBinary, spanRowBinaryColumns } from './spanRowBinary.ts';
export { type SpanRow, spanRows } from './spanRows.ts';
export {
  type DeriveCounts,
  flushDerives,
  madeDeriver,
  observeDerives,
  type SpansDeriver,
  type SpansDeriverOptions,
  type StagedPayload,
  spansDeriver,
  storeDeriver,
} from './spansDeriver.ts';
export { clickhouseTime, type GenAiScore, isoFromNanos, type StoredSpan } from './storedSpan.ts';
export { type SpanSearch, storeSpanSearch } from './storeSpanSearch.ts';
export { storeTraceSource } from './storeTraceSource.ts';
export { type StoreWriteHealth, storeWriteHealth } from './storeWriteHealth.ts';
