import { type TraceRequest, traceBatch } from '@llmp/otlp';
import { type Logger, toExportError } from '@llmp/pipeline';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import { sendUploads } from './sendUploads.ts';
import { type SyncStateLog, type SyncStateLogStats, syncStateLog } from './syncStateLog.ts';
import type { TraceSyncState } from './traceSyncStates.ts';
import { type TraceUpload, traceUploads } from './traceUploads.ts';

export interface MlflowSyncStats {
  queued: number;
  running: number;
  uploaded: number;
  deleted: number;
  failed: number;
  /** Traces not uploaded because the queue was full. */
  dropped: number;
  /** Pending work found in the state table at start and queued again. */
  resumed: number;
  states: SyncStateLogStats;
}

export interface MlflowSync {
  /** Queues uploads; never waits for MLflow. A full queue drops the trace from the upload and counts it. */
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
   * pending (uploads rebuilt from the store, deletions), as `resume` allows.
   */
  start(): void;
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
}

type Config = Pick<
  MlflowExporterConfig,
  | 'concurrency'
  | 'queueSize'
  | 'retryInitial'
  | 'retryMax'
  | 'retryMaxElapsed'
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
}

interface DeleteItem extends ItemBase {
  kind: 'delete';
}

type Item = UploadItem | DeleteItem;

type Outcome =
  | { ok: true; attempts: number }
  | { ok: false; attempts: number; reason: string; stopped?: true };

const keyOf = (projectId: string, traceId: string) => `${projectId}/${traceId.toLowerCase()}`;
/** Pending rows read from the state table per query when resuming. */
const resumePage = 500;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Keeps MLflow in step with the store, apart from ingestion: a bounded queue of trace uploads
 * and deletions worked off by `concurrency` workers, each retried with doubling backoff on
 * retryable answers. Spans of a trace that wait in the queue are merged into one upload.
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
}: MlflowSyncDeps): MlflowSync {
  /** States of this run are stamped at or after this; older pending rows are a previous run's. */
  const startedAt = states.stamp();
  const queue: Item[] = [];
  const waitingUploads = new Map<string, UploadItem>();
  const uploading = new Map<string, UploadItem>();
  /** Traces whose request is on the wire right now (not backing off). */
  const sending = new Set<string>();
  const stopped = new AbortController();
  const counts = { uploaded: 0, deleted: 0, failed: 0, dropped: 0, resumed: 0 };
  let resuming: Promise<void> | undefined;
  let running = 0;
  let accepting = true;
  let droppedSinceFull = -1;
  let idle: (() => void) | undefined;

  function pump(): void {
    while (running < config.concurrency && queue.length > 0 && !stopped.signal.aborted) {
      const item = queue.shift()!;
      if (item.cancelled) continue;
      running++;
      const work = item.kind === 'upload' ? upload(withCompanions(item)) : remove(item);
      void work
        .catch((error: unknown) => logger.error({ err: error }, 'MLflow sync item failed unexpectedly'))
        .finally(() => {
          running--;
          if (droppedSinceFull >= 0 && waitingUploads.size < config.queueSize) {
            logger.warn({ dropped: droppedSinceFull }, 'MLflow upload queue has room again');
            droppedSinceFull = -1;
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
    maxElapsedMs: number,
    cancelled: () => boolean = () => false,
  ): Promise<Outcome> {
    const started = Date.now();
    let delay = config.retryInitial;
    for (let attempts = 1; ; attempts++) {
      try {
        await action();
        return { ok: true, attempts };
      } catch (caught) {
        const error = toExportError(caught);
        if (error.kind === 'permanent') return { ok: false, attempts, reason: error.message };
        onAttempt(attempts, error.message);
        if (Date.now() - started + delay > maxElapsedMs) {
          return { ok: false, attempts, reason: `gave up after ${attempts} attempts: ${error.message}` };
        }
        if (attempts === 1 || attempts % 10 === 0) {
          logger.warn({ err: error, attempts, retryInMs: delay }, 'MLflow unavailable; retrying');
        }
        await sleep(Math.max(delay, error.retryAfterMs ?? 0), stopped.signal);
        if (stopped.signal.aborted)
          return {
            ok: false,
            attempts,
            reason: `llmp stopped before MLflow answered: ${error.message}`,
            stopped: true,
          };
        if (cancelled()) return { ok: false, attempts, reason: 'cancelled' };
        delay = Math.min(delay * 2, config.retryMax);
      }
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
        config.retryMaxElapsed,
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
      Number.POSITIVE_INFINITY,
    );
    settle(item, outcome, experimentId);
  }

  function setState(item: Item, state: Omit<TraceSyncState, 'updatedAt'>): void {
    states.set(item.projectId, item.traceId, state);
  }

  /** The final state of an item: done, failed, or (stopped, with a durable log) pending for the next start. */
  function settle(item: Item, outcome: Outcome, experimentId: string | undefined): void {
    const operation = item.kind;
    if (outcome.ok) {
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

  function enqueue(uploads: TraceUpload[]): void {
    for (const upload of uploads) {
      const key = keyOf(upload.projectId, upload.traceId);
      const waiting = waitingUploads.get(key);
      if (waiting && waiting.upload.experiment === upload.experiment) {
        waiting.upload.request.resourceSpans.push(...upload.request.resourceSpans);
        waiting.upload.spanCount += upload.spanCount;
        waiting.upload.jobId ??= upload.jobId;
        Object.assign(waiting.upload.lateTags, upload.lateTags);
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
      if (!accepting || waitingUploads.size >= config.queueSize) {
        counts.dropped++;
        const reason = accepting ? 'MLflow upload queue full' : 'llmp is stopping';
        states.set(upload.projectId, upload.traceId, {
          state: 'failed',
          operation: 'upload',
          attempts: 0,
          reason,
        });
        if (droppedSinceFull < 0) {
          droppedSinceFull = 0;
          logger.warn(
            { queueSize: config.queueSize },
            'MLflow upload queue full: traces are stored but not uploaded to MLflow until it has room (counted as dropped)',
          );
        }
        droppedSinceFull++;
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
    start() {
      if (!states.durable || resuming) return;
      resuming = resumePending().catch((error: unknown) =>
        logger.error({ err: error }, 'resuming pending MLflow work failed unexpectedly'),
      );
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
    let after: { projectId: string; traceId: string } | undefined;
    let delay = config.retryInitial;
    const resumedBefore = counts.resumed;
    const stopping = () => !accepting || stopped.signal.aborted;
    while (!stopping()) {
      let rows: Awaited<ReturnType<SyncStateLog['pending']>>;
      try {
        rows = await states.pending({ operations, before: startedAt, after, limit: resumePage });
        delay = config.retryInitial;
      } catch (error) {
        logger.warn({ err: error, retryInMs: delay }, 'could not read pending MLflow work; retrying');
        await sleep(delay, stopped.signal);
        delay = Math.min(delay * 2, config.retryMax);
        continue;
      }
      for (const row of rows) {
        if (stopping()) return;
        const mine = states.recent(row.projectId, row.traceId);
        if (mine && mine.updatedAt >= startedAt) continue;
        if (row.operation === 'delete') {
          counts.resumed++;
          enqueueDeletion(row.projectId, row.traceId);
          continue;
        }
        while (waitingUploads.size >= config.queueSize && !stopping()) await sleep(100, stopped.signal);
        if (stopping()) return;
        await resumeUpload(row.projectId, row.traceId);
      }
      if (rows.length < resumePage) break;
      after = rows[rows.length - 1];
    }
    if (counts.resumed > resumedBefore) {
      logger.info(
        { resumed: counts.resumed - resumedBefore },
        'resumed MLflow work left pending by the last run',
      );
    }
  }

  async function resumeUpload(projectId: string, traceId: string): Promise<void> {
    let request: TraceRequest | undefined;
    for (
      let delay = config.retryInitial;
      !stopped.signal.aborted;
      delay = Math.min(delay * 2, config.retryMax)
    ) {
      try {
        request = await storedTrace!(projectId, traceId);
        break;
      } catch (error) {
        logger.warn(
          { err: error, retryInMs: delay },
          'could not read a stored trace to resume its upload; retrying',
        );
        await sleep(delay, stopped.signal);
      }
    }
    if (!accepting || stopped.signal.aborted) return;
    if (!request) {
      states.set(projectId, traceId, {
        state: 'failed',
        operation: 'upload',
        attempts: 0,
        reason: 'the trace is no longer in the store',
      });
      return;
    }
    counts.resumed++;
    enqueue(traceUploads(traceBatch({ projectId, request }), config.experiments));
  }
}
