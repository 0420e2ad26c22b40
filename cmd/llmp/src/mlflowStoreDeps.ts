import {
  type ClickHouseStore,
  genAiEventMessages,
  genAiRecordMessages,
  mlflowSyncTable,
  readGenAiEvents,
  readTraceRequest,
} from '@llmp/clickhouse';
import { cachedJobNames, type MlflowExporterDeps } from '@llmp/exporter-mlflow';
import type { JobStore } from '@llmp/jobs';

/**
 * What the MLflow exporter reads and writes in the store: sync states (`mlflow_sync`), stored
 * traces to rebuild pending uploads, the messages of GenAI event records (otel_logs, or in hand), and job names (cached) for the `llmp.job.name` tag. A
 * discovered job's name is only its id: then the span's own attribute, if any, is kept.
 * @example mlflowExporter(mlflowStoreDeps(store, jobStore(store)), settings, config)
 */
export function mlflowStoreDeps(
  store: ClickHouseStore,
  jobs: JobStore,
): Required<Omit<MlflowExporterDeps, 'api'>> {
  return {
    stateTable: mlflowSyncTable(store),
    storedTrace: (projectId, traceId) => readTraceRequest(store, projectId, traceId),
    eventMessages: async (projectId, traceIds) =>
      genAiEventMessages(await readGenAiEvents(store, projectId, traceIds)),
    recordMessages: genAiRecordMessages,
    jobNames: cachedJobNames(async (projectId, jobId) => {
      const job = await jobs.get(projectId, jobId);
      return job && !(job.discovered && job.name === job.id) ? job.name : undefined;
    }),
  };
}
