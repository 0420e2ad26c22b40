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
import { eventTextJoin, type RecordMessages } from './eventTextJoin.ts';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowClient } from './mlflowClient.ts';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import { type MlflowSync, mlflowSync } from './mlflowSync.ts';
import { mlflowSyncMetrics } from './mlflowSyncMetrics.ts';
import { sendUploads } from './sendUploads.ts';
import { type SyncStateTable, syncStateLog } from './syncStateLog.ts';
import { type TraceUpload, traceUploads } from './traceUploads.ts';

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
  /**
   * The messages of a log batch's GenAI event records in hand: alone behind Kafka (no queue),
   * the exporter joins them with spans it reads apart, whichever comes first (eventTextJoin).
   */
  recordMessages?: RecordMessages | undefined;
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

  // Spans and their GenAI event records come on topics read apart: whichever this process reads
  // first waits (bounded) for the other, and a span sent without text is sent again with it.
  const forgotten = settings.registry
    ? mlflowSyncMetrics(settings.registry).mlflowEventTextForgotten
    : undefined;
  const join = deps.recordMessages
    ? eventTextJoin({ maxHeld: config.maxHeldSpans, onForgotten: (held, n) => forgotten?.inc({ held }, n) })
    : undefined;

  /** The messages of event records: the store's (if any), then those held in this process. */
  const eventMessages: EventMessages | undefined = join
    ? async (projectId, traceIds) => {
        const found = deps.eventMessages ? await deps.eventMessages(projectId, traceIds) : new Map();
        for (const [spanId, m] of join.messages(projectId, traceIds))
          found.set(spanId, { ...found.get(spanId), ...m });
        return found;
      }
    : deps.eventMessages;

  /** Sends held spans again with the messages now known for them (sent without text before). */
  async function sendAgain(again: TraceUpload[], messages: EventMessages | undefined): Promise<void> {
    // Placed already (experimentId held); the job name tag was set by the first upload.
    await sendUploads(api, again, { eventMessages: messages });
    join?.sent(again);
  }

  async function send(batch: TraceBatch): Promise<void> {
    const uploads = traceUploads(batch, config.experiments);
    try {
      await sendUploads(api, uploads, { jobNames: deps.jobNames, places, eventMessages });
      const again = join?.sent(uploads) ?? [];
      if (again.length > 0) await sendAgain(again, eventMessages);
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
    // A log batch (otlp_logs in a group of its own): its GenAI event records complete spans sent
    // without text (sent again now) or wait for spans not read yet. A failure is the answer, so
    // the Kafka receiver retries the batch (the held spans stay held until MLflow accepted).
    consume: async (batch) => {
      if (!isLogBatch(batch)) return exporter.consume(batch);
      if (!join || !deps.recordMessages) return;
      const byTrace = deps.recordMessages(batch);
      if (byTrace.size === 0) return;
      const again = join.records(batch.projectId, byTrace);
      if (again.length === 0) return;
      const inHand: EventMessages = async (_projectId, traceIds) => {
        const found = new Map<string, Record<string, string>>();
        for (const traceId of traceIds)
          for (const [spanId, m] of byTrace.get(traceId) ?? []) found.set(spanId, m);
        return found;
      };
      try {
        await sendAgain(again, inHand);
      } catch (caught) {
        throw toExportError(caught);
      }
    },
  };
}
