import { type TraceRequest, traceBatch } from '@llmp/otlp';
import { type Logger, type RetryOnFailure, retryWithBackoff, sleep } from '@llmp/pipeline';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import type { SyncStateLog, SyncStateRow } from './syncStateLog.ts';
import { type TraceUpload, traceUploads } from './traceUploads.ts';
import type { UploadQueue } from './uploadQueue.ts';

type PendingRow = Pick<SyncStateRow, 'projectId' | 'traceId' | 'operation' | 'updatedAt'>;

/** Pending rows read from the state table per query when resuming or catching up. */
const resumePage = 500;
/** Traces left pending by the last run that the take-over remembers one by one. */
const maxLeftPending = 100_000;

export const keyOf = (projectId: string, traceId: string) => `${projectId}/${traceId.toLowerCase()}`;

export interface StoreCatchUp {
  /** Reads which uploads the last run left pending (bounded); on failure, assumes any may be. */
  readLeftPending(): Promise<void>;
  /**
   * Takes over what a previous run left pending in the state table, page by page: deletions at
   * once, uploads rebuilt from the stored spans as the upload queue has room.
   */
  resumePending(): Promise<void>;
  /** The take-over is done: what was left and touched by this run is the catch-up's now. */
  forgetLeftPending(): void;
  /** Starts the catch-up of deferred uploads unless it runs already (then it makes one more pass). */
  startCatchUp(): void;
  /** Resolves once a running catch-up pass ended (after stop). */
  finished(): Promise<void>;
  /** Whether the last run left the trace's upload pending and this run has not sent it whole yet. */
  leftByLastRun(key: string, upload: TraceUpload): boolean;
  /** Whether the trace is left to the store: deferred, or being read back from it. */
  isDeferred(key: string, upload: TraceUpload): boolean;
  /** Spans of the trace (or its deletion) came: a read of it under way must start again. */
  touched(key: string): void;
}

export interface StoreCatchUpDeps {
  config: Pick<MlflowExporterConfig, 'experiments' | 'retryOnFailure'>;
  logger: Logger;
  states: SyncStateLog;
  /** The stored spans of a trace as OTLP. */
  storedTrace: ((projectId: string, traceId: string) => Promise<TraceRequest | undefined>) | undefined;
  /** Which pending work of a previous run this process takes over. */
  resume: { uploads: boolean; deletions: boolean };
  /** States of this run are stamped at or after this; older pending rows are a previous run's. */
  startedAt: string;
  queue: Pick<UploadQueue, 'waiting' | 'uploading' | 'hasRoom'>;
  /** Queues whole uploads read back from the store. */
  enqueueWhole(uploads: TraceUpload[]): void;
  enqueueDeletion(projectId: string, traceId: string): void;
  /** The exporter stops: passes end, waits end. */
  stopping(): boolean;
  signal: AbortSignal;
  /** Counted per upload or deletion taken over from the last run. */
  onResumed(): void;
  /** Counted per pending upload whose trace the store refused to read whole (too large). */
  onRefused?: () => void;
}

/**
 * The catch-up of uploads that wait in the store: traces deferred because the queue was full,
 * and work a previous run left pending. It pages through the pending rows of the state table,
 * reads each trace back from the store and queues it whole as the upload queue has room.
 * @example const catchUp = storeCatchUp({ config, logger, states, storedTrace, resume, startedAt, queue, enqueueWhole, enqueueDeletion, stopping, signal, onResumed });
 */
export function storeCatchUp({
  config,
  logger,
  states,
  storedTrace,
  resume,
  startedAt,
  queue,
  enqueueWhole,
  enqueueDeletion,
  stopping,
  signal,
  onResumed,
  onRefused,
}: StoreCatchUpDeps): StoreCatchUp {
  /** Reads of the table and the store retry until done (or llmp stops). */
  const untilDone: RetryOnFailure = { ...config.retryOnFailure, enabled: true, maxElapsedTime: 0 };
  const canDefer = states.durable && storedTrace !== undefined;
  /** Traces being read back from the store; true once spans of the trace came meanwhile. */
  const rebuilding = new Map<string, boolean>();
  /**
   * Traces whose upload the last run left pending, read at start: until the take-over sends one
   * whole from the store, new spans of it wait there too (an upload of the new spans alone would
   * end the trace `uploaded` without its earlier ones). More of them than the bound, or a failed
   * read, make every trace first seen during the take-over wait the same way.
   */
  const leftPending = new Set<string>();
  let leftPendingUnknown = false;
  let catchingUp: Promise<void> | undefined;
  /** A trace was deferred since the catch-up pass running began: it needs another pass. */
  let deferredSincePass = false;

  /**
   * Calls `onRow` for each trace whose latest state in the table is pending with one of
   * `operations`, last changed before `before`, page by page in key order; a failing read is
   * retried with backoff. Stops when llmp stops.
   */
  async function eachPending(
    operations: Array<'upload' | 'delete'>,
    before: string,
    onRow: (row: PendingRow) => Promise<void>,
  ): Promise<void> {
    let after: { projectId: string; traceId: string } | undefined;
    while (!stopping()) {
      const read = await retryWithBackoff(
        () => states.pending({ operations, before, after, limit: resumePage }),
        {
          policy: untilDone,
          signal,
          proceed: () => !stopping(),
          onRetry: ({ error, delayMs }) =>
            logger.warn({ err: error, retryInMs: delayMs }, 'could not read pending MLflow work; retrying'),
        },
      );
      if (!read.ok) return;
      const rows = read.value;
      for (const row of rows) {
        if (stopping()) return;
        await onRow(row);
      }
      if (rows.length < resumePage) return;
      after = rows[rows.length - 1];
    }
  }

  /** Resolves once the upload queue has room (or llmp stops). */
  async function room(): Promise<void> {
    while (!queue.hasRoom() && !stopping()) await sleep(50, signal);
  }

  /**
   * Queues the pending uploads of the state table, rebuilt from the store, as the queue has
   * room: passes over the whole table until one pass went by without a new deferral. Traces
   * waiting or on their way in this process are theirs.
   */
  async function catchUp(): Promise<void> {
    let caughtUp = 0;
    while (deferredSincePass && !stopping()) {
      deferredSincePass = false;
      // The deferrals must be in the table to be found there.
      await states.flush();
      await eachPending(['upload'], states.stamp(), async (row) => {
        if (busy(keyOf(row.projectId, row.traceId), row)) return;
        await room();
        if (!stopping() && (await rebuildUpload(row))) caughtUp++;
      });
    }
    if (caughtUp > 0) logger.info({ caughtUp }, 'queued deferred MLflow uploads from the store');
  }

  /**
   * Whether the trace of a pending row is this process's already: waiting, on its way, being
   * read back, or settled (uploaded, failed, being deleted) since the row was written.
   */
  function busy(key: string, row: PendingRow): boolean {
    if (queue.waiting.has(key) || queue.uploading.has(key) || rebuilding.has(key)) return true;
    const mine = states.recent(row.projectId, row.traceId);
    return (
      mine !== undefined &&
      mine.updatedAt > row.updatedAt &&
      !(mine.state === 'pending' && mine.operation === 'upload')
    );
  }

  /** Reads the trace of a pending row back from the store and queues it whole; false when not queued. */
  async function rebuildUpload(row: PendingRow): Promise<boolean> {
    const { projectId, traceId } = row;
    const key = keyOf(projectId, traceId);
    if (busy(key, row)) return false;
    rebuilding.set(key, false);
    try {
      const read = await retryWithBackoff(() => storedTrace!(projectId, traceId), {
        policy: untilDone,
        signal,
        onRetry: ({ error, delayMs }) =>
          logger.warn(
            { err: error, retryInMs: delayMs },
            'could not read a stored trace to upload it; retrying',
          ),
      });
      if (!read.ok && read.gaveUp === 'permanent') {
        // A trace past the store's whole-trace bound: reading it again would be refused again,
        // so it ends failed (one log line per trace) instead of staying pending for ever.
        onRefused?.();
        logger.warn({ err: read.error, projectId, traceId }, 'not uploading a stored trace to MLflow');
        states.set(projectId, traceId, {
          state: 'failed',
          operation: 'upload',
          attempts: 0,
          reason: read.error.message,
        });
        return false;
      }
      if (!read.ok || stopping()) return false;
      if (rebuilding.get(key)) {
        // Spans came, or a deletion, while it was read: read it again (or find it deleted).
        startCatchUp();
        return false;
      }
      const request = read.value;
      if (!request) {
        states.set(projectId, traceId, {
          state: 'failed',
          operation: 'upload',
          attempts: 0,
          reason: 'the trace is no longer in the store',
        });
        return false;
      }
      leftPending.delete(key);
      enqueueWhole(traceUploads(traceBatch({ projectId, request }), config.experiments));
      return true;
    } finally {
      rebuilding.delete(key);
    }
  }

  function startCatchUp(): void {
    deferredSincePass = true;
    if (!canDefer || catchingUp || stopping()) return;
    catchingUp = catchUp()
      .catch((error: unknown) =>
        logger.error({ err: error }, 'catching up deferred MLflow uploads failed unexpectedly'),
      )
      .finally(() => {
        catchingUp = undefined;
      });
  }

  return {
    async readLeftPending() {
      let after: { projectId: string; traceId: string } | undefined;
      try {
        for (;;) {
          const rows = await states.pending({
            operations: ['upload'],
            before: startedAt,
            after,
            limit: resumePage,
          });
          for (const row of rows) leftPending.add(keyOf(row.projectId, row.traceId));
          if (rows.length < resumePage) return;
          if (leftPending.size >= maxLeftPending) {
            leftPendingUnknown = true;
            return;
          }
          after = rows[rows.length - 1];
        }
      } catch (error) {
        logger.warn(
          { err: error },
          'could not read the uploads the last run left pending; new traces wait in the store until the take-over is done',
        );
        leftPendingUnknown = true;
      }
    },
    async resumePending() {
      const operations = [
        ...(resume.uploads && storedTrace ? (['upload'] as const) : []),
        ...(resume.deletions ? (['delete'] as const) : []),
      ];
      if (operations.length === 0) return;
      let resumed = 0;
      await eachPending(operations, startedAt, async (row) => {
        const mine = states.recent(row.projectId, row.traceId);
        if (mine && mine.updatedAt >= startedAt) return;
        if (row.operation === 'delete') {
          resumed++;
          onResumed();
          enqueueDeletion(row.projectId, row.traceId);
          return;
        }
        await room();
        if (!stopping() && (await rebuildUpload(row))) {
          resumed++;
          onResumed();
        }
      });
      if (resumed > 0) logger.info({ resumed }, 'resumed MLflow work left pending by the last run');
    },
    forgetLeftPending() {
      leftPending.clear();
      leftPendingUnknown = false;
    },
    startCatchUp,
    async finished() {
      await catchingUp;
    },
    leftByLastRun(key, upload) {
      if (leftPending.has(key)) return true;
      return leftPendingUnknown && states.recent(upload.projectId, upload.traceId) === undefined;
    },
    isDeferred(key, upload) {
      if (rebuilding.has(key)) return true;
      const mine = states.recent(upload.projectId, upload.traceId);
      return mine?.state === 'pending' && mine.operation === 'upload' && !queue.waiting.has(key);
    },
    touched(key) {
      if (rebuilding.has(key)) rebuilding.set(key, true);
    },
  };
}
