import type { Logger, Registry } from '@llmp/pipeline';
import { mlflowSyncMetrics } from './mlflowSyncMetrics.ts';
import { type SyncStateName, type TraceSyncState, traceSyncStates } from './traceSyncStates.ts';

/** One change of a trace's sync state, as a shared table keeps it. */
export interface SyncStateRow {
  projectId: string;
  traceId: string;
  operation: 'upload' | 'delete';
  state: SyncStateName;
  reason: string;
  experimentId: string;
  attempts: number;
  /** RFC 3339, microseconds, UTC; the latest row of a trace is its state. */
  updatedAt: string;
}

/** Where sync states outlive the process and are seen by every role (ClickHouse's `mlflow_sync`). */
export interface SyncStateTable {
  insert(rows: SyncStateRow[]): Promise<void>;
  read(projectId: string, traceId: string): Promise<SyncStateRow | undefined>;
  /** Traces whose latest state is pending with one of `operations`, last changed before `before`. */
  pending(query: {
    operations: Array<SyncStateRow['operation']>;
    before: string;
    after?: { projectId: string; traceId: string } | undefined;
    limit: number;
  }): Promise<SyncStateRow[]>;
}

export interface SyncStateLogStats {
  /** State changes written to the table. */
  written: number;
  /** Inserts that failed (their rows are kept and tried again). */
  failedWrites: number;
  /** State changes never written because the buffer was full. */
  droppedWrites: number;
  buffered: number;
}

export interface SyncStateLog {
  /** True when states go to a table (and survive a restart). */
  readonly durable: boolean;
  /** Records a state change; never waits: the write is buffered and batched. */
  set(projectId: string, traceId: string, state: Omit<TraceSyncState, 'updatedAt'>): TraceSyncState;
  /** This process's latest knowledge of the trace, without asking the table. */
  recent(projectId: string, traceId: string): TraceSyncState | undefined;
  /** The latest state, from this process or the table, whichever is newer. */
  get(projectId: string, traceId: string): Promise<TraceSyncState | undefined>;
  pending: SyncStateTable['pending'];
  /** A timestamp in the format and order of `updatedAt` (monotonic in this process). */
  stamp(): string;
  flush(): Promise<void>;
  /** Stops the flush timer and writes what is buffered. */
  close(): Promise<void>;
  stats(): SyncStateLogStats;
}

export interface SyncStateLogOptions {
  table?: SyncStateTable | undefined;
  /** States this process remembers (oldest forgotten first). */
  maxTracked: number;
  /** State changes waiting to be written; past it the oldest is dropped (and counted). */
  maxBuffered?: number;
  /** How often buffered changes are written (also when half the buffer is full, and at close). */
  flushIntervalMs?: number;
  logger: Logger;
  /** Where `llmp_mlflow_sync_state_rows_total` is counted. */
  registry?: Registry | undefined;
  now?: () => number;
}

const keyOf = (projectId: string, traceId: string) => `${projectId}/${traceId}`;

function stateOf(row: SyncStateRow): TraceSyncState {
  return {
    state: row.state,
    operation: row.operation,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.experimentId ? { experimentId: row.experimentId } : {}),
    attempts: row.attempts,
    updatedAt: row.updatedAt,
  };
}

/**
 * Per-trace MLflow sync states: remembered in memory (bounded) and, with a table, written there
 * in batches off the caller's path, so a restart or another role can read them. A failing write
 * is logged, counted and tried again; it never throws to the caller.
 * @example const states = syncStateLog({ table: mlflowSyncTable(store), maxTracked: 100_000, logger });
 */
export function syncStateLog({
  table,
  maxTracked,
  maxBuffered = 10_000,
  flushIntervalMs = 1000,
  logger,
  registry,
  now = Date.now,
}: SyncStateLogOptions): SyncStateLog {
  const rowsCounter = registry ? mlflowSyncMetrics(registry).mlflowSyncStateRows : undefined;
  const memory = traceSyncStates(maxTracked);
  /** Latest unwritten change per trace: a trace changing often costs one row per flush. */
  let buffer = new Map<string, SyncStateRow>();
  const counts = { written: 0, failedWrites: 0, droppedWrites: 0 };
  let flushing: Promise<void> | undefined;
  let lastMicros = 0;
  let dropping = false;
  const timer = table ? setInterval(() => void flush(), flushIntervalMs) : undefined;
  timer?.unref();

  function stamp(): string {
    let micros = now() * 1000;
    if (micros <= lastMicros) micros = lastMicros + 1;
    lastMicros = micros;
    const iso = new Date(Math.floor(micros / 1000)).toISOString();
    return `${iso.slice(0, -1)}${String(micros % 1000).padStart(3, '0')}Z`;
  }

  function buffered(key: string, row: SyncStateRow): void {
    buffer.delete(key);
    buffer.set(key, row);
    if (buffer.size > maxBuffered) {
      buffer.delete(buffer.keys().next().value!);
      counts.droppedWrites++;
      rowsCounter?.inc({ result: 'dropped' });
      if (!dropping) {
        dropping = true;
        logger.warn(
          { maxBuffered },
          'MLflow sync state buffer full: oldest unwritten states dropped (counted)',
        );
      }
    }
  }

  async function write(): Promise<void> {
    if (!table || buffer.size === 0) return;
    const batch = buffer;
    buffer = new Map();
    try {
      await table.insert([...batch.values()]);
      counts.written += batch.size;
      rowsCounter?.inc({ result: 'written' }, batch.size);
      dropping = false;
    } catch (error) {
      counts.failedWrites++;
      rowsCounter?.inc({ result: 'failed' }, batch.size);
      if (counts.failedWrites === 1 || counts.failedWrites % 10 === 0) {
        logger.warn(
          { err: error, rows: batch.size, failedWrites: counts.failedWrites },
          'could not write MLflow sync states; keeping them to try again',
        );
      }
      // Back in front of what came meanwhile, unless a newer change of the same trace replaced it.
      const newer = buffer;
      buffer = new Map();
      for (const [key, row] of batch) if (!newer.has(key)) buffered(key, row);
      for (const [key, row] of newer) buffered(key, row);
    }
  }

  function flush(): Promise<void> {
    flushing ??= write().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    durable: table !== undefined,
    set(projectId, traceId, given) {
      const updatedAt = stamp();
      // A trace MLflow holds stays where it is while more of it is uploaded (or fails to be):
      // its experiment is kept until an upload settles elsewhere or it is deleted.
      const before = memory.get(keyOf(projectId, traceId));
      const state =
        given.operation === 'upload' &&
        given.experimentId === undefined &&
        before?.operation === 'upload' &&
        before.experimentId
          ? { ...given, experimentId: before.experimentId }
          : given;
      const full = memory.set(keyOf(projectId, traceId), state, updatedAt);
      if (table) {
        buffered(keyOf(projectId, traceId), {
          projectId,
          traceId,
          operation: state.operation,
          state: state.state,
          reason: state.reason ?? '',
          experimentId: state.experimentId ?? '',
          attempts: state.attempts,
          updatedAt,
        });
        if (buffer.size >= maxBuffered / 2) void flush();
      }
      return full;
    },
    recent: (projectId, traceId) => memory.get(keyOf(projectId, traceId)),
    async get(projectId, traceId) {
      const mine = memory.get(keyOf(projectId, traceId));
      if (!table) return mine;
      const stored = await table.read(projectId, traceId).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not read an MLflow sync state; answering from memory');
        return undefined;
      });
      if (!stored || (mine && mine.updatedAt >= stored.updatedAt)) return mine;
      return stateOf(stored);
    },
    pending: (query) => (table ? table.pending(query) : Promise.resolve([])),
    stamp,
    async flush() {
      // A flush already running took only what was buffered when it began.
      await flushing;
      await flush();
    },
    async close() {
      clearInterval(timer);
      await flushing;
      // A store that hiccups at shutdown gets a few chances before the states are given up.
      for (let attempt = 0; attempt < 3 && buffer.size > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        await flush();
      }
      if (buffer.size > 0) {
        logger.warn({ unwritten: buffer.size }, 'stopped with MLflow sync states not written');
      }
    },
    stats: () => ({ ...counts, buffered: buffer.size }),
  };
}
