import { resourceKey } from '@llmp/pipeline';
import type { MlflowExporterDeps } from './mlflowExporter.ts';
import type { MlflowSync } from './mlflowSync.ts';

/**
 * What the exporter reads and writes in the host's store (sync states, stored traces, job
 * names) and how it reads GenAI event records in hand; roles without a shared store offer only
 * the latter, and then no states are kept.
 */
export const mlflowStoreResource = resourceKey<Omit<MlflowExporterDeps, 'api'>>('MLflow state in the store');
/** The upload/deletion queue of an `mlflow` exporter following the store, for the query API's DELETE. */
export const mlflowSyncResource = resourceKey<MlflowSync>('MLflow sync queue');
