import { type TraceRequest, traceBatch } from '@llmp/otlp';
import {
  type Logger,
  type Registry,
  type RetryOnFailure,
  retryWithBackoff,
  selfMetrics,
  sleep,
} from '@llmp/pipeline';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import { sendUploads } from './sendUploads.ts';
import {
  type SyncStateLog,
  type SyncStateLogStats,
  type SyncStateRow,
  syncStateLog,
} from './syncStateLog.ts';
import type { TraceSyncState } from './traceSyncStates.ts';
import { type TraceUpload, traceUploads } from './traceUploads.ts';

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
  /** Where `llmp_mlflow_upload_overflow_traces_total` is counted. */
  registry?: Registry | undefined;
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

interface ItemBase {
  key: string;
  projectId: string;
  /** Lowercase hex. */
  traceId: string;
  cancelled: boolean;
}

interface UploadItem extends ItemBase {
  kind: 'upload';
  upload: TraceUpload;
  /** Spans of the trace came that this upload lacks (the queue had no room for them). */
  incomplete?: true;
}

interface DeleteItem extends ItemBase {
  kind: 'delete';
}

type Item = UploadItem | DeleteItem;

type PendingRow = Pick<SyncStateRow, 'projectId' | 'traceId' | 'operation' | 'updatedAt'>;

type Outcome =
  | { ok: true; attempts: number }
  | { ok: false; attempts: number; reason: string; stopped?: true };

const keyOf = (projectId: string, traceId: string) => `${projectId}/${traceId.toLowerCase()}`;
/** Pending rows read from the state table per query when resuming or catching up. */
const resumePage = 500;
/** Traces left pending by the last run that start() remembers one by one. */
const maxLeftPending = 100_000;
const deferredReason = 'waiting for room in the MLflow upload queue (uploaded from the store)';

/**
 * Keeps MLflow in step with the store, apart from ingestion: a bounded queue of trace uploads
 * and deletions worked off by `concurrency` workers, each retried with doubling backoff on
 * retryable answers. Spans of a trace that wait in the queue are merged into one upload (up to
 * maxSpansPerUpload).
 *
 * With a durable state log and `storedTrace`, a trace that finds no room is deferred: its state
 * stays pending in the table, and a catch-up pass (started by the first deferral) pages through
 * the pending uploads, rebuilds each from the store and queues it as room frees, until none is
 * left. A deferred trace is only ever uploaded whole from the store: later spans of it wait
 * there too, and an upload that missed some spans ends pending again instead of uploaded.
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
  registry,
}: MlflowSyncDeps): MlflowSync {
  /** States of this run are stamped at or after this; older pending rows are a previous run's. */
  const startedAt = states.stamp();
  /** Deletions and reads of the store retry until done (or llmp stops). */
  const untilDone: RetryOnFailure = { ...config.retryOnFailure, enabled: true, maxElapsedTime: 0 };
  const queue: Item[] = [];
  const waitingUploads = new Map<string, UploadItem>();
  const uploading = new Map<string, UploadItem>();
  /** Traces whose request is on the wire right now (not backing off). */
  const sending = new Set<string>();
  const stopped = new AbortController();
  const counts = { uploaded: 0, deleted: 0, failed: 0, dropped: 0, deferred: 0, resumed: 0 };
  const overflowCounter = registry ? selfMetrics(registry).mlflowUploadOverflow : undefined;
  /** Whether a trace without room can wait in the store instead of being dropped. */
  const canDefer = states.durable && storedTrace !== undefined;
  /** Traces being read back from the store; true once spans of the trace came meanwhile. */
  const rebuilding = new Map<string, boolean>();
  let resuming: Promise<void> | undefined;
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
  let running = 0;
  let accepting = true;
  let overflowSinceFull = -1;
  let idle: (() => void) | undefined;

  function pump(): void {
    while (running < config.sendingQueue.numConsumers && queue.length > 0 && !stopped.signal.aborted) {
      const item = queue.shift()!;
      if (item.cancelled) continue;
      running++;
      const work = item.kind === 'upload' ? upload(withCompanions(item)) : remove(item);
      void work
        .catch((error: unknown) => logger.error({ err: error }, 'MLflow sync item failed unexpectedly'))
        .finally(() => {
          running--;
          if (overflowSinceFull >= 0 && waitingUploads.size < config.sendingQueue.queueSize) {
            logger.warn(
              { [canDefer ? 'deferred' : 'dropped']: overflowSinceFull },
              'MLflow upload queue has room again',
            );
            overflowSinceFull = -1;
          }
          pump();
          if (running === 0 && queue.length === 0) idle?.();
        });
    }
  }

  /**
   * More waiting uploads for the same experiment, sent in one request with `first`. The search
   * stops at the first deletion, so an upload never overtakes a deletion queued before it.
   */
  function withCompanions(first: UploadItem): UploadItem[] {
    const group = [first];
    for (let i = 0; i < queue.length && group.length < config.maxTracesPerRequest; ) {
      const item = queue[i]!;
      if (item.kind === 'delete') break;
      if (!item.cancelled && item.upload.experiment === first.upload.experiment) {
        group.push(item);
        queue.splice(i, 1);
      } else i++;
    }
    return group;
  }

  /** Runs `action` until it succeeds, fails permanently, runs out of time, or llmp stops. */
  async function withRetry(
    action: () => Promise<void>,
    onAttempt: (attempts: number, error?: string) => void,
    policy: RetryOnFailure,
    cancelled: () => boolean = () => false,
  ): Promise<Outcome> {
    const outcome = await retryWithBackoff(action, {
      policy,
      signal: stopped.signal,
      proceed: () => !cancelled(),
      onRetry: ({ attempts, error, delayMs }) => {
        onAttempt(attempts, error.message);
        if (attempts === 1 || attempts % 10 === 0) {
          logger.warn({ err: error, attempts, retryInMs: delayMs }, 'MLflow unavailable; retrying');
        }
      },
    });
    if (outcome.ok) return { ok: true, attempts: outcome.attempts };
    const { attempts, error } = outcome;
    switch (outcome.gaveUp) {
      case 'permanent':
        return { ok: false, attempts, reason: error.message };
      case 'stopped':
        return {
          ok: false,
          attempts,
          reason: `llmp stopped before MLflow answered: ${error.message}`,
          stopped: true,
        };
      case 'cancelled':
        return { ok: false, attempts, reason: 'cancelled' };
      default:
        return { ok: false, attempts, reason: `gave up after ${attempts} attempts: ${error.message}` };
    }
  }

  async function upload(items: UploadItem[]): Promise<void> {
    for (const item of items) {
      waitingUploads.delete(item.key);
      uploading.set(item.key, item);
    }
    const live = () => items.filter((i) => !i.cancelled);
    let experimentId: string | undefined;
    try {
      const outcome = await withRetry(
        async () => {
          // Rebuilt at each attempt: a trace deleted meanwhile is left out.
          const group = live();
          if (group.length === 0) return;
          for (const item of group) sending.add(item.key);
          try {
            const ids = await sendUploads(
              api,
              group.map((i) => i.upload),
              jobNames,
            );
            experimentId = ids.get(group[0]!.upload.experiment);
          } finally {
            for (const item of group) sending.delete(item.key);
          }
        },
        (attempts, reason) => {
          for (const item of live()) {
            setState(item, {
              state: 'pending',
              operation: 'upload',
              attempts,
              ...(reason ? { reason } : {}),
            });
          }
        },
        config.retryOnFailure,
        () => live().length === 0,
      );
      // A deletion asked for meanwhile owns the state of its trace now.
      for (const item of live()) settle(item, outcome, experimentId);
    } finally {
      for (const item of items) uploading.delete(item.key);
    }
  }

  async function remove(item: DeleteItem): Promise<void> {
    // An upload of the same trace in flight must land first, or it would bring the trace back.
    // (An upload backing off leaves the trace out of its next attempt: no need to wait for it.)
    while (sending.has(item.key) && !stopped.signal.aborted) await sleep(50, stopped.signal);
    const id = mlflowTraceId(item.traceId);
    let experimentId: string | undefined;
    const outcome = await withRetry(
      async () => {
        experimentId = await api.traceExperiment(id);
        if (experimentId !== undefined) await api.deleteTraces(experimentId, [id]);
      },
      (attempts, reason) =>
        setState(item, {
          state: 'pending',
          operation: 'delete',
          attempts,
          ...(reason ? { reason } : {}),
        }),
      untilDone,
    );
    settle(item, outcome, experimentId);
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
        startCatchUp();
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
      const waiting = waitingUploads.get(key);
      if (waiting && waiting.upload.experiment === upload.experiment) {
        if (waiting.upload.spanCount + upload.spanCount <= config.maxSpansPerUpload) {
          waiting.upload.request.resourceSpans.push(...upload.request.resourceSpans);
          waiting.upload.spanCount += upload.spanCount;
          waiting.upload.jobId ??= upload.jobId;
          Object.assign(waiting.upload.lateTags, upload.lateTags);
          continue;
        }
        if (accepting && canDefer) {
          // The store holds every span of the trace: the catch-up sends it whole.
          waiting.cancelled = true;
          waitingUploads.delete(key);
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
      const sent = uploading.get(key);
      if (!whole && !sent && leftByLastRun(key, upload)) {
        leaveToStore(upload);
        continue;
      }
      if (canDefer && !whole && !sent && isDeferred(key, upload)) {
        // A partial upload would end the trace `uploaded` without its deferred spans.
        if (rebuilding.has(key)) rebuilding.set(key, true);
        continue;
      }
      if (!accepting || waitingUploads.size >= config.sendingQueue.queueSize) {
        // An upload of the trace on its way lacks these spans: it must not end `uploaded`.
        if (sent) sent.incomplete = true;
        if (accepting && canDefer) defer(upload, whole);
        else overflow(upload, accepting ? 'MLflow upload queue full' : 'llmp is stopping');
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
      waitingUploads.set(key, item);
      queue.push(item);
      setState(item, { state: 'pending', operation: 'upload', attempts: 0 });
      // Free workers take items at once, so the bound counts only what really waits.
      pump();
    }
  }

  /** Whether the last run left the trace's upload pending and this run has not sent it whole yet. */
  function leftByLastRun(key: string, upload: TraceUpload): boolean {
    if (leftPending.has(key)) return true;
    return leftPendingUnknown && states.recent(upload.projectId, upload.traceId) === undefined;
  }

  /** Leaves a trace to the store, where the catch-up reads it whole (not an overflow). */
  function leaveToStore(upload: TraceUpload): void {
    states.set(upload.projectId, upload.traceId, {
      state: 'pending',
      operation: 'upload',
      attempts: 0,
      reason: 'left pending by the last run: sent whole from the store',
    });
    startCatchUp();
  }

  /** Reads which uploads the last run left pending (bounded); on failure, assumes any may be. */
  async function readLeftPending(): Promise<void> {
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
  }

  /** Whether the trace is left to the store: deferred, or being read back from it. */
  function isDeferred(key: string, upload: TraceUpload): boolean {
    if (rebuilding.has(key)) return true;
    const mine = states.recent(upload.projectId, upload.traceId);
    return mine?.state === 'pending' && mine.operation === 'upload' && !waitingUploads.has(key);
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
    startCatchUp();
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

  return {
    enqueueUploads: enqueue,
    enqueueDeletion(projectId, traceId) {
      enqueueDeletion(projectId, traceId.toLowerCase());
    },
    flushStates: () => states.flush(),
    state: (projectId, traceId) => states.get(projectId, traceId.toLowerCase()),
    recent: (projectId, traceId) => states.recent(projectId, traceId.toLowerCase()),
    stats: () => ({
      queued: queue.filter((i) => !i.cancelled).length,
      running,
      ...counts,
      states: states.stats(),
    }),
    async start() {
      if (!states.durable || resuming) return;
      if (canDefer && resume.uploads) await readLeftPending();
      resuming = resumePending()
        .catch((error: unknown) =>
          logger.error({ err: error }, 'resuming pending MLflow work failed unexpectedly'),
        )
        .finally(() => {
          // What was left and touched by this run is pending again in the table: the catch-up's.
          leftPending.clear();
          leftPendingUnknown = false;
        });
    },
    async shutdown() {
      if (!accepting) return;
      accepting = false;
      if (running > 0 || queue.length > 0) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          setTimeout(resolve, config.drainTimeout).unref();
        });
      }
      stopped.abort();
      await resuming;
      await catchingUp;
      const left = queue.splice(0).filter((i) => !i.cancelled);
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
      while (running > 0) await sleep(20, new AbortController().signal);
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

  function enqueueDeletion(projectId: string, traceId: string): void {
    const key = keyOf(projectId, traceId);
    // A trace being read back from the store for upload must not be queued after its deletion.
    if (rebuilding.has(key)) rebuilding.set(key, true);
    const waiting = waitingUploads.get(key);
    if (waiting) {
      waiting.cancelled = true;
      waitingUploads.delete(key);
    }
    // An upload retrying against a down MLflow stops at its next attempt instead of holding the deletion up.
    const running = uploading.get(key);
    if (running) running.cancelled = true;
    const item: DeleteItem = { kind: 'delete', key, projectId, traceId, cancelled: false };
    setState(item, { state: 'pending', operation: 'delete', attempts: 0 });
    queue.push(item);
    pump();
  }

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
          signal: stopped.signal,
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

  function stopping(): boolean {
    return !accepting || stopped.signal.aborted;
  }

  /** Resolves once the upload queue has room (or llmp stops). */
  async function room(): Promise<void> {
    while (waitingUploads.size >= config.sendingQueue.queueSize && !stopping())
      await sleep(50, stopped.signal);
  }

  /**
   * Takes over what a previous run left pending in the state table, page by page: deletions at
   * once, uploads rebuilt from the stored spans as the upload queue has room. A trace this run
   * already touched is left to this run.
   */
  async function resumePending(): Promise<void> {
    const operations = [
      ...(resume.uploads && storedTrace ? (['upload'] as const) : []),
      ...(resume.deletions ? (['delete'] as const) : []),
    ];
    if (operations.length === 0) return;
    const resumedBefore = counts.resumed;
    await eachPending(operations, startedAt, async (row) => {
      const mine = states.recent(row.projectId, row.traceId);
      if (mine && mine.updatedAt >= startedAt) return;
      if (row.operation === 'delete') {
        counts.resumed++;
        enqueueDeletion(row.projectId, row.traceId);
        return;
      }
      await room();
      if (!stopping() && (await rebuildUpload(row))) counts.resumed++;
    });
    if (counts.resumed > resumedBefore) {
      logger.info(
        { resumed: counts.resumed - resumedBefore },
        'resumed MLflow work left pending by the last run',
      );
    }
  }

  /** Starts the catch-up of deferred uploads unless it runs already (then it makes one more pass). */
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
    if (waitingUploads.has(key) || uploading.has(key) || rebuilding.has(key)) return true;
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
        signal: stopped.signal,
        onRetry: ({ error, delayMs }) =>
          logger.warn(
            { err: error, retryInMs: delayMs },
            'could not read a stored trace to upload it; retrying',
          ),
      });
      if (!read.ok) return false;
      const request = read.value;
      if (stopping()) return false;
      if (rebuilding.get(key)) {
        // Spans came, or a deletion, while it was read: read it again (or find it deleted).
        startCatchUp();
        return false;
      }
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
      enqueue(traceUploads(traceBatch({ projectId, request }), config.experiments), true);
      return true;
    } finally {
      rebuilding.delete(key);
    }
  }
}
