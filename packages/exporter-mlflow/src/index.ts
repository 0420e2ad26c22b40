export { type EventMessages, withEventMessages } from './eventMessages.ts';
export { type EventTextJoin, eventTextJoin, type RecordMessages } from './eventTextJoin.ts';
export { hostedMlflowExporter, mlflowStoreResource, mlflowSyncResource } from './hostedMlflowExporter.ts';
export { cachedJobNames, type JobNameCacheOptions, type JobNames } from './jobNames.ts';
export { type MemorySyncStateTable, memorySyncStateTable } from './memorySyncStateTable.ts';
export {
  answerError,
  type MlflowApi,
  type MlflowClientOptions,
  mlflowClient,
  mlflowTraceId,
} from './mlflowClient.ts';
export { type MlflowExporter, type MlflowExporterDeps, mlflowExporter } from './mlflowExporter.ts';
export { type MlflowExporterConfig, mlflowExporterConfig } from './mlflowExporterConfig.ts';
export { type MlflowSync, type MlflowSyncDeps, type MlflowSyncStats, mlflowSync } from './mlflowSync.ts';
export { mlflowSyncMetrics } from './mlflowSyncMetrics.ts';
export { sendUploads } from './sendUploads.ts';
export {
  type SyncStateLog,
  type SyncStateLogOptions,
  type SyncStateLogStats,
  type SyncStateRow,
  type SyncStateTable,
  syncStateLog,
} from './syncStateLog.ts';
export { type SyncStateName, type TraceSyncState, traceSyncStates } from './traceSyncStates.ts';
export { setUploadTag, type TraceUpload, tagKeys, traceTagPrefix, traceUploads } from './traceUploads.ts';
