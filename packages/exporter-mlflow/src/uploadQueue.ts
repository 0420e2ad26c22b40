import {
  boundedQueue,
  inFlightDrain,
  type Logger,
  type Registry,
  type RetryOnFailure,
  retryWithBackoff,
  sleep,
} from '@llmp/pipeline';
import type { EventMessages } from './eventMessages.ts';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';
import type { TracePlaces } from './placeUploads.ts';
import { sendUploads } from './sendUploads.ts';
import type { SyncStateLog } from './syncStateLog.ts';
import type { TraceSyncState } from './traceSyncStates.ts';
import type { TraceUpload } from './traceUploads.ts';

interface ItemBase {
  key: string;
  projectId: string;
  /** Lowercase hex. */
  traceId: string;
  cancelled: boolean;
}

export interface UploadItem extends ItemBase {
  kind: 'upload';
  upload: TraceUpload;
  /** Spans of the trace came that this upload lacks (the queue had no room for them). */
  incomplete?: true;
}

export interface DeleteItem extends ItemBase {
  kind: 'delete';
}

export type Item = UploadItem | DeleteItem;

/** How an item's work ended. */
export type Outcome =
  | { ok: true; attempts: number }
  | { ok: false; attempts: number; reason: string; stopped?: true };

export interface UploadQueue {
  /** Uploads waiting for a worker, by trace key (spans of the trace that come join them). */
  readonly waiting: ReadonlyMap<string, UploadItem>;
  /** Uploads taken by a worker (sending or backing off), by trace key. */
  readonly uploading: ReadonlyMap<string, UploadItem>;
  /** Items being worked on. */
  readonly running: number;
  /** Items waiting. */
  readonly queued: number;
  /** Whether one more upload fits (the bound counts waiting uploads; deletions always fit). */
  hasRoom(): boolean;
  /** Queues an upload; false when the queue has no room (counted as refused). */
  offerUpload(item: UploadItem): boolean;
  /** Queues a deletion (never refused: it frees MLflow of a trace the store no longer has). */
  pushDeletion(item: DeleteItem): void;
  /** Drops a waiting upload (a deletion of its trace was asked for). */
  cancelWaiting(key: string): void;
  /** Makes an upload on its way leave the trace out of its next attempt. */
  cancelUploading(key: string): void;
  /** Resolves once nothing waits or runs, or after `deadlineMs`. */
  idle(deadlineMs: number): Promise<void>;
  /** Stops the workers' retries; resolves with the items still waiting once every worker ended. */
  stop(): Promise<Item[]>;
}

export interface UploadQueueDeps {
  api: MlflowApi;
  config: Pick<MlflowExporterConfig, 'sendingQueue' | 'retryOnFailure' | 'maxTracesPerRequest'>;
  logger: Logger;
  states: SyncStateLog;
  jobNames?: JobNames | undefined;
  /** The messages of spans sent as GenAI event records, added to spans without their own. */
  eventMessages?: EventMessages | undefined;
  /** Where each trace is in MLflow already, and its stored spans: a trace goes where its job says. */
  places?: TracePlaces | undefined;
  /** The item's final state: done, failed, or pending again (see mlflowSync). */
  settle(item: Item, outcome: Outcome, experimentId: string | undefined): void;
  /** Called as a worker finishes an item (the queue may have room again). */
  onFreed(): void;
  /** The exporter's id, for the queue's metrics. */
  exporter?: string | undefined;
  registry?: Registry | undefined;
}

/**
 * The MLflow sending queue: uploads and deletions worked off in order by
 * `sendingQueue.numConsumers` workers, each retried with backoff (retryOnFailure for uploads,
 * until done for deletions). Waiting uploads of one experiment go together in one request (up
 * to maxTracesPerRequest); an upload never overtakes a deletion queued before it, and a deletion
 * waits for an upload of its trace that is on the wire.
 * @example const queue = uploadQueue({ api, config, logger, states, settle, onFreed: () => {} });
 */
export function uploadQueue({
  api,
  config,
  logger,
  states,
  jobNames,
  eventMessages,
  places,
  settle,
  onFreed,
  exporter = 'mlflow',
  registry,
}: UploadQueueDeps): UploadQueue {
  const items = boundedQueue<Item>({
    capacity: config.sendingQueue.queueSize,
    // The bound counts waiting uploads (traces); deletions never wait for room.
    sizeOf: (item) => (item.kind === 'upload' ? 1 : 0),
    spansOf: (item) => (item.kind === 'upload' ? item.upload.spanCount : 0),
    exporter,
    registry,
  });
  const waiting = new Map<string, UploadItem>();
  const uploading = new Map<string, UploadItem>();
  /** Traces whose request is on the wire right now (not backing off). */
  const sending = new Set<string>();
  const stopped = new AbortController();
  const inFlight = inFlightDrain({ name: 'MLflow sync' });
  /** Deletions retry until MLflow confirms (or llmp stops). */
  const untilDone: RetryOnFailure = { ...config.retryOnFailure, enabled: true, maxElapsedTime: 0 };
  let whenIdle: (() => void) | undefined;

  function pump(): void {
    while (inFlight.count < config.sendingQueue.numConsumers && items.length > 0 && !stopped.signal.aborted) {
      const item = items.take()!;
      if (item.cancelled) continue;
      if (item.kind === 'upload') waiting.delete(item.key);
      const work = item.kind === 'upload' ? upload(withCompanions(item)) : remove(item);
      void inFlight
        .run(() => work)
        .catch((error: unknown) => logger.error({ err: error }, 'MLflow sync item failed unexpectedly'))
        .finally(() => {
          onFreed();
          pump();
          if (inFlight.count === 0 && items.length === 0) whenIdle?.();
        });
    }
  }

  /**
   * More waiting uploads for the same experiment, sent in one request with `first`. The search
   * stops at the first deletion, so an upload never overtakes a deletion queued before it.
   */
  function withCompanions(first: UploadItem): UploadItem[] {
    const companions = items.takeMatching((item) => {
      if (item.kind === 'delete') return 'stop';
      return !item.cancelled && item.upload.experiment === first.upload.experiment ? 'take' : 'skip';
    }, config.maxTracesPerRequest - 1) as UploadItem[];
    for (const item of companions) waiting.delete(item.key);
    return [first, ...companions];
  }

  /** Runs `action` until it succeeds, fails permanently, runs out of time, or llmp stops. */
  async function withRetry(
    action: () => Promise<void>,
    onAttempt: (attempts: number, error: string) => void,
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

  function setState(item: Item, state: Omit<TraceSyncState, 'updatedAt'>): void {
    states.set(item.projectId, item.traceId, state);
  }

  async function upload(group: UploadItem[]): Promise<void> {
    for (const item of group) uploading.set(item.key, item);
    const live = () => group.filter((i) => !i.cancelled);
    try {
      const outcome = await withRetry(
        async () => {
          // Rebuilt at each attempt: a trace deleted meanwhile is left out.
          let sent = live();
          // Another upload of one of these traces on the wire lands first: where it goes decides
          // where these spans go (placeUploads).
          while (sent.some((i) => sending.has(i.key)) && !stopped.signal.aborted) {
            await sleep(50, stopped.signal);
            sent = live();
          }
          if (sent.length === 0) return;
          for (const item of sent) sending.add(item.key);
          try {
            await sendUploads(
              api,
              sent.map((i) => i.upload),
              { jobNames, places, eventMessages },
            );
          } finally {
            for (const item of sent) sending.delete(item.key);
          }
        },
        (attempts, reason) => {
          for (const item of live())
            setState(item, { state: 'pending', operation: 'upload', attempts, reason });
        },
        config.retryOnFailure,
        () => live().length === 0,
      );
      // A deletion asked for meanwhile owns the state of its trace now.
      for (const item of live()) settle(item, outcome, item.upload.experimentId);
    } finally {
      for (const item of group) uploading.delete(item.key);
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
      (attempts, reason) => setState(item, { state: 'pending', operation: 'delete', attempts, reason }),
      untilDone,
    );
    settle(item, outcome, experimentId);
  }

  return {
    waiting,
    uploading,
    get running() {
      return inFlight.count;
    },
    get queued() {
      return items.length;
    },
    hasRoom: () => items.size < config.sendingQueue.queueSize,
    offerUpload(item) {
      if (!items.offer(item)) return false;
      waiting.set(item.key, item);
      // Free workers take items at once, so the bound counts only what really waits.
      pump();
      return true;
    },
    pushDeletion(item) {
      items.offer(item);
      pump();
    },
    cancelWaiting(key) {
      const item = waiting.get(key);
      if (!item) return;
      item.cancelled = true;
      waiting.delete(key);
      items.remove(item);
    },
    cancelUploading(key) {
      const item = uploading.get(key);
      if (item) item.cancelled = true;
    },
    async idle(deadlineMs) {
      if (inFlight.count === 0 && items.length === 0) return;
      await new Promise<void>((resolve) => {
        whenIdle = resolve;
        setTimeout(resolve, deadlineMs).unref();
      });
    },
    async stop() {
      stopped.abort();
      const left = items.takeAll().filter((i) => !i.cancelled);
      waiting.clear();
      // Workers backing off end at once; a request on the wire ends with its timeout.
      await inFlight.drain();
      return left;
    },
  };
}
