import { type Logger, toExportError } from '@llmp/pipeline';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import { sendUploads } from './sendUploads.ts';
import { type TraceSyncState, traceSyncStates } from './traceSyncStates.ts';
import type { TraceUpload } from './traceUploads.ts';

export interface MlflowSyncStats {
  queued: number;
  running: number;
  uploaded: number;
  deleted: number;
  failed: number;
  /** Traces not uploaded because the queue was full. */
  dropped: number;
}

export interface MlflowSync {
  /** Queues uploads; never waits for MLflow. A full queue drops the trace from the upload and counts it. */
  enqueueUploads(uploads: TraceUpload[]): void;
  /** Queues the deletion of a trace from MLflow, retried until MLflow confirms it. */
  enqueueDeletion(projectId: string, traceId: string): void;
  state(projectId: string, traceId: string): TraceSyncState | undefined;
  stats(): MlflowSyncStats;
  /** Stops intake, waits up to drainTimeout for queued work, then gives up on the rest. */
  shutdown(): Promise<void>;
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
>;

interface UploadItem {
  kind: 'upload';
  key: string;
  upload: TraceUpload;
  cancelled: boolean;
}

interface DeleteItem {
  kind: 'delete';
  key: string;
  projectId: string;
  traceId: string;
  cancelled: boolean;
}

type Item = UploadItem | DeleteItem;

const keyOf = (projectId: string, traceId: string) => `${projectId}/${traceId.toLowerCase()}`;

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
}: {
  api: MlflowApi;
  config: Config;
  logger: Logger;
}): MlflowSync {
  const states = traceSyncStates(config.maxTrackedTraces);
  const queue: Item[] = [];
  const waitingUploads = new Map<string, UploadItem>();
  const uploading = new Map<string, UploadItem>();
  /** Traces whose request is on the wire right now (not backing off). */
  const sending = new Set<string>();
  const stopped = new AbortController();
  const counts = { uploaded: 0, deleted: 0, failed: 0, dropped: 0 };
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
  ): Promise<{ ok: true; attempts: number } | { ok: false; attempts: number; reason: string }> {
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
          return { ok: false, attempts, reason: `llmp stopped before MLflow answered: ${error.message}` };
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
            );
            experimentId = ids.get(group[0]!.upload.experiment);
          } finally {
            for (const item of group) sending.delete(item.key);
          }
        },
        (attempts, reason) => {
          for (const item of live()) {
            states.set(item.key, {
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
      for (const item of live()) {
        if (outcome.ok) {
          counts.uploaded++;
          states.set(item.key, {
            state: 'uploaded',
            operation: 'upload',
            attempts: outcome.attempts,
            ...(experimentId ? { experimentId } : {}),
          });
        } else {
          counts.failed++;
          states.set(item.key, {
            state: 'failed',
            operation: 'upload',
            attempts: outcome.attempts,
            reason: outcome.reason,
          });
        }
      }
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
        states.set(item.key, {
          state: 'pending',
          operation: 'delete',
          attempts,
          ...(reason ? { reason } : {}),
        }),
      Number.POSITIVE_INFINITY,
    );
    if (outcome.ok) {
      counts.deleted++;
      states.set(item.key, {
        state: 'deleted',
        operation: 'delete',
        attempts: outcome.attempts,
        ...(experimentId ? { experimentId } : {}),
      });
    } else {
      counts.failed++;
      states.set(item.key, {
        state: 'failed',
        operation: 'delete',
        attempts: outcome.attempts,
        reason: outcome.reason,
      });
    }
  }

  return {
    enqueueUploads(uploads) {
      for (const upload of uploads) {
        const key = keyOf(upload.projectId, upload.traceId);
        const waiting = waitingUploads.get(key);
        if (waiting && waiting.upload.experiment === upload.experiment) {
          waiting.upload.request.resourceSpans.push(...upload.request.resourceSpans);
          waiting.upload.spanCount += upload.spanCount;
          Object.assign(waiting.upload.lateTags, upload.lateTags);
          continue;
        }
        if (!accepting || waitingUploads.size >= config.queueSize) {
          counts.dropped++;
          const reason = accepting ? 'MLflow upload queue full' : 'llmp is stopping';
          states.set(key, { state: 'failed', operation: 'upload', attempts: 0, reason });
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
        const item: UploadItem = { kind: 'upload', key, upload, cancelled: false };
        waitingUploads.set(key, item);
        queue.push(item);
        states.set(key, { state: 'pending', operation: 'upload', attempts: 0 });
        // Free workers take items at once, so the bound counts only what really waits.
        pump();
      }
    },
    enqueueDeletion(projectId, traceId) {
      const key = keyOf(projectId, traceId);
      const waiting = waitingUploads.get(key);
      if (waiting) {
        waiting.cancelled = true;
        waitingUploads.delete(key);
      }
      // An upload retrying against a down MLflow stops at its next attempt instead of holding the deletion up.
      const running = uploading.get(key);
      if (running) running.cancelled = true;
      states.set(key, { state: 'pending', operation: 'delete', attempts: 0 });
      queue.push({ kind: 'delete', key, projectId, traceId: traceId.toLowerCase(), cancelled: false });
      pump();
    },
    state: (projectId, traceId) => states.get(keyOf(projectId, traceId)),
    stats: () => ({ queued: queue.filter((i) => !i.cancelled).length, running, ...counts }),
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
      const left = queue.splice(0).filter((i) => !i.cancelled);
      for (const item of left) {
        counts.failed++;
        states.set(item.key, {
          state: 'failed',
          operation: item.kind,
          attempts: 0,
          reason: 'llmp stopped before this was sent to MLflow',
        });
      }
      while (running > 0) await sleep(20, new AbortController().signal);
      if (left.length > 0) logger.warn({ notSent: left.length }, 'stopped with MLflow work not done');
    },
  };
}
