import { genAiTextEvents, type LogBatch, type TraceBatch, type TraceRequest } from '@llmp/otlp';
import {
  type Component,
  type ComponentSettings,
  type Consumer,
  exporterHelper,
  onceShutdown,
  toExportError,
} from '@llmp/pipeline';
import type { EventMessages } from './eventMessages.ts';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowClient } from './mlflowClient.ts';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import { type MlflowSync, mlflowSync } from './mlflowSync.ts';
import { sendUploads } from './sendUploads.ts';
import { type SyncStateTable, syncStateLog } from './syncStateLog.ts';
import { traceUploads } from './traceUploads.ts';

export interface MlflowExporter extends Component, Consumer<TraceBatch | LogBatch> {
  /** The upload / deletion queue when the sending queue is on, for the query API's DELETE. */
  sync: MlflowSync | undefined;
}

export interface MlflowExporterDeps {
  /** The MLflow API to use instead of HTTP (tests). */
  api?: MlflowApi;
  /** Where sync states are kept across restarts and shared with other roles; memory only without it. */
  stateTable?: SyncStateTable | undefined;
  /** The stored spans of a trace as OTLP, to rebuild uploads a previous run left pending. */
  storedTrace?: ((projectId: string, traceId: string) => Promise<TraceRequest | undefined>) | undefined;
  /** Job names from the jobs table, for the `llmp.job.name` trace tag. */
  jobNames?: JobNames | undefined;
  /** The messages of spans sent as GenAI event records (EVENT_ONLY capture), for spans without their own. */
  eventMessages?: EventMessages | undefined;
}

/**
 * The `mlflow` exporter. With its sending queue on (the default when it follows `clickhouse`),
 * `consume` only queues the batch's traces (bounded) and returns, so MLflow being slow or down
 * never holds ingestion up; uploads are retried from the queue (retryOnFailure) and what finds
 * it full waits in the store. With it off (alone behind a Kafka receiver), `consume` resolves
 * only once MLflow stored the batch and rejects with the failure's kind, so the receiver commits
 * offsets after MLflow accepted, retries retryable failures and dead-letters permanent ones.
 * @example const mlflow = mlflowExporter(deps, settings, mlflowExporterConfig.parse({ trackingUri }), { queued: true });
 */
export function mlflowExporter(
  deps: MlflowExporterDeps,
  settings: ComponentSettings,
  config: MlflowExporterConfig,
  { queued = config.sendingQueue.enabled ?? false }: { queued?: boolean } = {},
): MlflowExporter {
  const api =
    deps.api ??
    mlflowClient({
      trackingUri: config.trackingUri,
      headers: config.headers,
      timeoutMs: config.requestTimeout,
    });
  return queued ? queuedExporter(api, deps, settings, config) : directExporter(api, deps, settings, config);
}

const isLogBatch = (batch: TraceBatch | LogBatch): batch is LogBatch => 'logRecordCount' in batch;

/** The traces of a log batch's GenAI text events (records in a span's context), each once. */
function textEventTraces(batch: LogBatch): string[] {
  const traces = new Set<string>();
  for (const rl of batch.request.resourceLogs)
    for (const sl of rl.scopeLogs)
      for (const record of sl.logRecords)
        if (record.traceId !== '' && record.spanId !== '' && genAiTextEvents.includes(record.eventName))
          traces.add(record.traceId);
  return [...traces];
}

function queuedExporter(
  api: MlflowApi,
  deps: MlflowExporterDeps,
  settings: ComponentSettings,
  config: MlflowExporterConfig,
): MlflowExporter {
  const states = syncStateLog({
    table: deps.stateTable,
    maxTracked: config.maxTrackedTraces,
    logger: settings.logger,
    registry: settings.registry,
  });
  const sync = mlflowSync({
    api,
    config,
    logger: settings.logger,
    states,
    storedTrace: deps.storedTrace,
    jobNames: deps.jobNames,
    eventMessages: deps.eventMessages,
    registry: settings.registry,
    exporter: settings.id,
  });
  return {
    sync,
    async start() {
      await sync.start();
      settings.logger.info(
        { trackingUri: config.trackingUri, durableStates: states.durable },
        'MLflow exporter queueing uploads',
      );
    },
    async consume(batch) {
      if (isLogBatch(batch)) await sync.refreshTraces(batch.projectId, textEventTraces(batch));
      else sync.enqueueUploads(traceUploads(batch, config.experiments));
    },
    shutdown: onceShutdown(async () => {
      await sync.shutdown();
      settings.logger.info(sync.stats(), 'MLflow exporter stopped');
    }),
  };
}

function directExporter(
  api: MlflowApi,
  deps: MlflowExporterDeps,
  settings: ComponentSettings,
  config: MlflowExporterConfig,
): MlflowExporter {
  // Only with a shared table: states kept in this process alone would be read by nobody.
  const states = deps.stateTable
    ? syncStateLog({
        table: deps.stateTable,
        maxTracked: config.maxTrackedTraces,
        logger: settings.logger,
        registry: settings.registry,
      })
    : undefined;

  // Where a trace is already, from the shared states: its later spans join it, and a job that
  // comes later moves it whole from the store (placeUploads).
  const places = states
    ? {
        experimentOf: async (projectId: string, traceId: string) =>
          (await states.get(projectId, traceId))?.experimentId,
        storedTrace: deps.storedTrace,
      }
    : undefined;

  async function send(batch: TraceBatch): Promise<void> {
    const uploads = traceUploads(batch, config.experiments);
    try {
      await sendUploads(api, uploads, { jobNames: deps.jobNames, places, eventMessages: deps.eventMessages });
      for (const u of uploads) {
        states?.set(u.projectId, u.traceId, {
          state: 'uploaded',
          operation: 'upload',
          attempts: 1,
          ...(u.experimentId ? { experimentId: u.experimentId } : {}),
        });
      }
    } catch (caught) {
      // The receiver retries a retryable failure and dead-letters a permanent one.
      const error = toExportError(caught);
      for (const u of uploads) {
        states?.set(u.projectId, u.traceId, {
          state: error.kind === 'permanent' ? 'failed' : 'pending',
          operation: 'upload',
          attempts: 1,
          reason: error.message,
        });
      }
      throw error;
    }
  }

  const exporter = exporterHelper({
    settings,
    name: 'MLflow exporter',
    send,
    spanCount: (batch: TraceBatch) => batch.spanCount,
    // The Kafka receiver feeding it retries, and reports a partition that cannot move.
    retryOnFailure: { ...config.retryOnFailure, enabled: false },
    sendingQueue: { enabled: false, queueSize: 1, numConsumers: 1, sizer: 'batches' },
    drainTimeout: config.drainTimeout,
    stop: async () => {
      await states?.close();
    },
  });
  return {
    ...exporter,
    sync: undefined,
    // Its uploads read the GenAI event records stored by then; a trace sent before its records
    // came is not sent again (no store to read it back from in this role).
    consume: async (batch) => {
      if (!isLogBatch(batch)) await exporter.consume(batch);
    },
  };
}
