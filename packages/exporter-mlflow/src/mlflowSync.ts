import { type TraceRequest, traceBatch } from '@llmp/otlp';
import { type Logger, type Registry, toExportError } from '@llmp/pipeline';
import type { EventMessages } from './eventMessages.ts';
import type { JobNames } from './jobNames.ts';
import type { MlflowApi } from './mlflowClient.ts';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import { mlflowSyncMetrics } from './mlflowSyncMetrics.ts';
import { keyOf, storeCatchUp } from './storeCatchUp.ts';
import { type SyncStateLog, type SyncStateLogStats, syncStateLog } from './syncStateLog.ts';
import type { TraceSyncState } from './traceSyncStates.ts';
import { type TraceUpload, traceUploads } from './traceUploads.ts';
import { type DeleteItem, type Item, type Outcome, type UploadItem, uploadQueue } from './uploadQueue.ts';

export interface MlflowSyncStats {
  queued: number;
  running: number;
  uploaded: number;
  deleted: number;
  failed: number;
  /** Traces not uploaded because the queue was full and no store could give them back later (failed). */
  dropped: number;
  /**
   * Traces that found the queue full, or their waiting upload at maxSpansPerUpload, and were
   * left pending in the store: the catch-up uploads them from there once the queue has room.
   */
  deferred: number;
  /** Pending work found in the state table at start and queued again. */
  resumed: number;
  states: SyncStateLogStats;
}

export interface MlflowSync {
  /**
   * Queues uploads; never waits for MLflow. A trace finding the queue full is deferred (left
   * pending in the store, uploaded from there later) when the log is durable and stored traces
   * can be read, else dropped from the upload; either is counted.
   */
  enqueueUploads(uploads: TraceUpload[]): void;
  /** Queues the deletion of a trace from MLflow, retried until MLflow confirms it. */
  enqueueDeletion(projectId: string, traceId: string): void;
  /**
   * GenAI event records of these traces were stored: a trace already sent (or on its way) is
   * sent again whole from the store, so MLflow gets the text of spans that came before their
   * records. A trace not seen yet gets the records when its spans are sent.
   */
  refreshTraces(projectId: string, traceIds: string[]): Promise<void>;
  /** Resolves once the state changes made so far are written (when the log is durable). */
  flushStates(): Promise<void>;
  /** The trace's latest state: this process's, or the state table's when newer. */
  state(projectId: string, traceId: string): Promise<TraceSyncState | undefined>;
  /** What this process knows of the trace, without reading the state table. */
  recent(projectId: string, traceId: string): TraceSyncState | undefined;
  stats(): MlflowSyncStats;
  /**
   * With a durable state log: queues again, in the background, the work a previous run left
   * pending (uploads rebuilt from the store, deletions), as `resume` allows. Resolves once the
   * traces whose uploads were left pending are known (one read of the state table), so that new
   * spans of them wait for the whole trace instead of going up alone.
   */
  start(): Promise<void>;
  /**
   * Stops intake, waits up to drainTimeout for queued work, then gives up on the rest: marked
   * failed, or left pending for the next start when the state log is durable.
   */
  shutdown(): Promise<void>;
}

export interface MlflowSyncDeps {
  api: MlflowApi;
  config: Config;
  logger: Logger;
  /** Where states are kept; in memory only unless it has a table. */
  states?: SyncStateLog;
  /** The stored spans of a trace as OTLP, to rebuild an upload left pending by a previous run. */
  storedTrace?: (projectId: string, traceId: string) => Promise<TraceRequest | undefined>;
  /** Which pending work of a previous run this process takes over at start. */
  resume?: { uploads: boolean; deletions: boolean };
  /** Job names from the jobs table, for the `llmp.job.name` trace tag. */
  jobNames?: JobNames | undefined;
  /** The messages of spans sent as GenAI event records, added to spans without their own. */
  eventMessages?: EventMessages | undefined;
  /** Where `llmp_mlflow_upload_overflow_traces_total` and the queue's metrics are counted. */
  registry?: Registry | undefined;
  /** The exporter's id, labelling the queue's metrics. */
  exporter?: string | undefined;
}

type Config = Pick<
  MlflowExporterConfig,
  | 'sendingQueue'
  | 'maxSpansPerUpload'
  | 'retryOnFailure'
  | 'drainTimeout'
  | 'maxTrackedTraces'
  | 'maxTracesPerRequest'
  | 'experiments'
>;

const deferredReason = 'waiting for room in the MLflow upload queue (uploaded from the store)';

/**
 * Keeps MLflow in step with the store, apart from ingestion: a bounded sending queue of trace
 * uploads and deletions (uploadQueue), retried with backoff, whose states go to the state log
 * (syncStateLog). Spans of a trace that wait in the queue are merged into one upload (up to
 * maxSpansPerUpload).
 *
 * With a durable state log and `storedTrace`, a trace that finds no room is deferred: its state
 * stays pending in the table, and the catch-up (storeCatchUp) rebuilds it from the store and
 * queues it as room frees. A deferred trace is only ever uploaded whole from the store: later
 * spans of it wait there too, and an upload that missed some spans ends pending again instead
 * of uploaded.
 * @example const sync = mlflowSync({ api, config, logger }); sync.enqueueUploads(traceUploads(batch, config.experiments));
 */
export function mlflowSync({
  api,
  config,
  logger,
  states = syncStateLog({ maxTracked: config.maxTrackedTraces, logger }),
  storedTrace,
  resume = { uploads: true, deletions: true },
  jobNames,
  eventMessages,
  registry,
  exporter,
}: MlflowSyncDeps): MlflowSync {
  const startedAt = states.stamp();
  const stopped = new AbortController();
  const counts = { uploaded: 0, deleted: 0, failed: 0, dropped: 0, deferred: 0, resumed: 0 };
  const overflowCounter = registry ? mlflowSyncMetrics(registry).mlflowUploadOverflow : undefined;
  const refusedCounter = registry ? mlflowSyncMetrics(registry).mlflowStoredTraceRefused : undefined;
  /** Whether a trace without room can wait in the store instead of being dropped. */
  const canDefer = states.durable && storedTrace !== undefined;
  let resuming: Promise<void> | undefined;
  let accepting = true;
  let overflowSinceFull = -1;

  const queue = uploadQueue({
    api,
    config,
    logger,
    states,
    jobNames,
    eventMessages,
    places: {
      experimentOf: async (projectId, traceId) => (await states.get(projectId, traceId))?.experimentId,
      storedTrace,
    },
    settle,
    onFreed() {
      if (overflowSinceFull >= 0 && queue.hasRoom()) {
        logger.warn(
          { [canDefer ? 'deferred' : 'dropped']: overflowSinceFull },
          'MLflow upload queue has room again',
        );
        overflowSinceFull = -1;
      }
    },
    exporter,
    registry,
  });
  const catchUp = storeCatchUp({
    config,
    logger,
    states,
    storedTrace,
    resume,
    startedAt,
    queue,
    enqueueWhole: (uploads) => enqueue(uploads, true),
    enqueueDeletion,
    stopping,
    signal: stopped.signal,
    onResumed: () => counts.resumed++,
    onRefused: () => refusedCounter?.inc(),
  });

  function stopping(): boolean {
    return !accepting || stopped.signal.aborted;
  }

  function setState(item: Item, state: Omit<TraceSyncState, 'updatedAt'>): void {
    states.set(item.projectId, item.traceId, state);
  }

  /** The final state of an item: done, failed, or (stopped, with a durable log) pending for the next start. */
  function settle(item: Item, outcome: Outcome, experimentId: string | undefined): void {
    const operation = item.kind;
    if (outcome.ok && item.kind === 'upload' && item.incomplete) {
      // Spans of the trace came while this was on its way and found no room: not done yet.
      if (canDefer) {
        setState(item, { state: 'pending', operation, attempts: outcome.attempts, reason: deferredReason });
        catchUp.startCatchUp();
      } else {
        counts.failed++;
        setState(item, {
          state: 'failed',
          operation,
          attempts: outcome.attempts,
          reason: 'uploaded without spans that came while the MLflow upload queue was full',
        });
      }
    } else if (outcome.ok) {
      counts[operation === 'upload' ? 'uploaded' : 'deleted']++;
      setState(item, {
        state: operation === 'upload' ? 'uploaded' : 'deleted',
        operation,
        attempts: outcome.attempts,
        ...(experimentId ? { experimentId } : {}),
      });
    } else if (outcome.stopped && states.durable) {
      setState(item, {
        state: 'pending',
        operation,
        attempts: outcome.attempts,
        reason: `${outcome.reason} (resumes at the next start)`,
      });
    } else {
      counts.failed++;
      setState(item, { state: 'failed', operation, attempts: outcome.attempts, reason: outcome.reason });
    }
  }

  /** `whole`: the uploads are whole traces read back from the store (resumed or caught up). */
  function enqueue(uploads: TraceUpload[], whole = false): void {
    for (const upload of uploads) {
      const key = keyOf(upload.projectId, upload.traceId);
      const waiting = queue.waiting.get(key);
      if (waiting) {
        if (waiting.upload.spanCount + upload.spanCount <= config.maxSpansPerUpload) {
          waiting.upload.request.resourceSpans.push(...upload.request.resourceSpans);
          waiting.upload.spanCount += upload.spanCount;
          // The trace's job decides its experiment, in whichever batch the job came.
          if (waiting.upload.jobId === undefined && upload.jobId !== undefined) {
            waiting.upload.experiment = upload.experiment;
          }
          waiting.upload.jobId ??= upload.jobId;
          Object.assign(waiting.upload.lateTags, upload.lateTags);
          continue;
        }
        if (accepting && canDefer) {
          // The store holds every span of the trace: the catch-up sends it whole.
          queue.cancelWaiting(key);
          defer(upload, whole);
        } else {
          waiting.incomplete = true;
          overflow(upload, 'MLflow upload queue full');
        }
        continue;
      }
      if (!accepting && states.durable) {
        // Stored already: the next start rebuilds the upload from the store.
        const reason = 'llmp is stopping (resumes at the next start)';
        states.set(upload.projectId, upload.traceId, {
          state: 'pending',
          operation: 'upload',
          attempts: 0,
          reason,
        });
        continue;
      }
      const sent = queue.uploading.get(key);
      if (!whole && !sent && catchUp.leftByLastRun(key, upload)) {
        leaveToStore(upload);
        continue;
      }
      if (canDefer && !whole && !sent && catchUp.isDeferred(key, upload)) {
        // A partial upload would end the trace `uploaded` without its deferred spans.
        catchUp.touched(key);
        continue;
      }
      const item: UploadItem = {
        kind: 'upload',
        key,
        projectId: upload.projectId,
        traceId: upload.traceId,
        upload,
        cancelled: false,
      };
      if (!accepting || !queue.offerUpload(item)) {
        // An upload of the trace on its way lacks these spans: it must not end `uploaded`.
        if (sent) sent.incomplete = true;
        if (accepting && canDefer) defer(upload, whole);
        else overflow(upload, accepting ? 'MLflow upload queue full' : 'llmp is stopping');
        continue;
      }
      // Set before a worker can settle it (offerUpload may hand it to one at once).
      setState(item, { state: 'pending', operation: 'upload', attempts: 0 });
    }
  }

  /** Leaves a trace to the store, where the catch-up reads it whole (not an overflow). */
  function leaveToStore(upload: TraceUpload): void {
    states.set(upload.projectId, upload.traceId, {
      state: 'pending',
      operation: 'upload',
      attempts: 0,
      reason: 'left pending by the last run: sent whole from the store',
    });
    catchUp.startCatchUp();
  }

  function noteOverflow(): void {
    if (overflowSinceFull < 0) {
      overflowSinceFull = 0;
      logger.warn(
        { queueSize: config.sendingQueue.queueSize },
        canDefer
          ? 'MLflow upload queue full: traces wait in the store and are uploaded from there as the queue has room (counted as deferred)'
          : 'MLflow upload queue full: traces are stored but not uploaded to MLflow while it is full (counted as dropped)',
      );
    }
    overflowSinceFull++;
  }

  /** No room for the trace: it stays pending, and the catch-up uploads it from the store. */
  function defer(upload: TraceUpload, again: boolean): void {
    states.set(upload.projectId, upload.traceId, {
      state: 'pending',
      operation: 'upload',
      attempts: 0,
      reason: deferredReason,
    });
    if (!again) {
      counts.deferred++;
      overflowCounter?.inc({ fate: 'deferred' });
      noteOverflow();
    }
    catchUp.startCatchUp();
  }

  /** No room for the trace and no store to upload it from later: it is not uploaded. */
  function overflow(upload: TraceUpload, reason: string): void {
    counts.dropped++;
    overflowCounter?.inc({ fate: 'dropped' });
    states.set(upload.projectId, upload.traceId, {
      state: 'failed',
      operation: 'upload',
      attempts: 0,
      reason,
    });
    if (accepting) noteOverflow();
  }

  function enqueueDeletion(projectId: string, traceId: string): void {
    const key = keyOf(projectId, traceId);
    // A trace being read back from the store for upload must not be queued after its deletion.
    catchUp.touched(key);
    queue.cancelWaiting(key);
    // An upload retrying against a down MLflow stops at its next attempt instead of holding the deletion up.
    queue.cancelUploading(key);
    const item: DeleteItem = { kind: 'delete', key, projectId, traceId, cancelled: false };
    setState(item, { state: 'pending', operation: 'delete', attempts: 0 });
    queue.pushDeletion(item);
  }

  async function refreshTraces(projectId: string, traceIds: string[]): Promise<void> {
    if (!storedTrace || !accepting) return;
    for (const traceId of traceIds) {
      const key = keyOf(projectId, traceId);
      // Waiting in the queue: its send reads the records stored by then.
      if (queue.waiting.has(key)) continue;
      if (!queue.uploading.has(key)) {
        // Sent (or deferred) by this process, and not deleted since. The in-memory states only:
        // records usually come before their span (EVENT_ONLY), and a table read for each would
        // load the logs path; records of a trace sent by an earlier run are not sent again.
        const known = states.recent(projectId, traceId);
        if (known === undefined || known.operation === 'delete') continue;
      }
      let request: TraceRequest | undefined;
      try {
        request = await storedTrace(projectId, traceId);
      } catch (error) {
        // Too large to read whole: its spans went as they came; only the late records' text is missed.
        if (toExportError(error).kind !== 'permanent') throw error;
        refusedCounter?.inc();
        logger.warn({ err: error, projectId, traceId }, 'not re-sending a stored trace to MLflow');
        continue;
      }
      if (request) enqueue(traceUploads(traceBatch({ projectId, request }), config.experiments), true);
    }
  }

  return {
    enqueueUploads: enqueue,
    refreshTraces,
    enqueueDeletion(projectId, traceId) {
      enqueueDeletion(projectId, traceId.toLowerCase());
    },
    flushStates: () => states.flush(),
    state: (projectId, traceId) => states.get(projectId, traceId.toLowerCase()),
    recent: (projectId, traceId) => states.recent(projectId, traceId.toLowerCase()),
    stats: () => ({ queued: queue.queued, running: queue.running, ...counts, states: states.stats() }),
    async start() {
      if (!states.durable || resuming) return;
      if (canDefer && resume.uploads) await catchUp.readLeftPending();
      resuming = catchUp
        .resumePending()
        .catch((error: unknown) =>
          logger.error({ err: error }, 'resuming pending MLflow work failed unexpectedly'),
        )
        .finally(() => catchUp.forgetLeftPending());
    },
    async shutdown() {
      if (!accepting) return;
      accepting = false;
      await queue.idle(config.drainTimeout);
      stopped.abort();
      await resuming;
      await catchUp.finished();
      const left = await queue.stop();
      for (const item of left) {
        if (states.durable) {
          // Still pending in the table: the next start takes it up again.
          continue;
        }
        counts.failed++;
        setState(item, {
          state: 'failed',
          operation: item.kind,
          attempts: 0,
          reason: 'llmp stopped before this was sent to MLflow',
        });
      }
      if (left.length > 0) {
        logger.warn(
          { notSent: left.length },
          states.durable
            ? 'stopped with MLflow work not done; it stays pending and resumes at the next start'
            : 'stopped with MLflow work not done',
        );
      }
      await states.close();
    },
  };
}
