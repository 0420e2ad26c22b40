import type { ClickHouseStore } from './clickhouseStore.ts';

/** One change of a trace's MLflow sync state, as `mlflow_sync` holds it. */
export interface MlflowSyncRow {
  projectId: string;
  /** Lowercase hex trace id. */
  traceId: string;
  operation: 'upload' | 'delete';
  state: 'pending' | 'uploaded' | 'deleted' | 'failed';
  reason: string;
  experimentId: string;
  attempts: number;
  /** RFC 3339 with microseconds, UTC (`2026-11-23T11:50:00.123456Z`): the latest wins. */
  updatedAt: string;
}

/** Which rows `pending` returns: the latest state is pending, last changed before `before`. */
export interface PendingQuery {
  operations: Array<MlflowSyncRow['operation']>;
  before: string;
  /** Keyset cursor: rows after this (project, trace) in key order. */
  after?: { projectId: string; traceId: string } | undefined;
  limit: number;
}

export interface MlflowSyncTable {
  insert(rows: MlflowSyncRow[]): Promise<void>;
  read(projectId: string, traceId: string): Promise<MlflowSyncRow | undefined>;
  pending(query: PendingQuery): Promise<MlflowSyncRow[]>;
}

const toClickHouse = (iso: string) => iso.replace('T', ' ').replace(/Z$/, '');
const fromClickHouse = (text: string) => `${text.replace(' ', 'T')}Z`;

interface LatestRecord {
  project_id: string;
  TraceId: string;
  last_operation: MlflowSyncRow['operation'];
  last_state: MlflowSyncRow['state'];
  last_reason: string;
  last_experiment_id: string;
  last_attempts: number | string;
  last_updated_at: string;
}

const rowOf = (r: LatestRecord): MlflowSyncRow => ({
  projectId: r.project_id,
  traceId: r.TraceId,
  operation: r.last_operation,
  state: r.last_state,
  reason: r.last_reason,
  experimentId: r.last_experiment_id,
  attempts: Number(r.last_attempts),
  updatedAt: fromClickHouse(r.last_updated_at),
});

// The latest row per trace by updated_at, whether or not merges have collapsed the others yet.
// Aliases differ from column names: an alias named like the column it aggregates would shadow it.
const latest = `project_id, TraceId,
  argMax(operation, updated_at) AS last_operation, argMax(state, updated_at) AS last_state,
  argMax(reason, updated_at) AS last_reason, argMax(experiment_id, updated_at) AS last_experiment_id,
  argMax(attempts, updated_at) AS last_attempts, toString(max(updated_at)) AS last_updated_at`;

/**
 * `mlflow_sync` (migration 5): per-trace MLflow sync states shared by every process on the
 * store. One INSERT per call, values as query parameters only.
 * @example await mlflowSyncTable(store).insert(rows); const state = await table.read('default', traceId);
 */
export function mlflowSyncTable(store: ClickHouseStore): MlflowSyncTable {
  const table = `\`${store.database}\`.mlflow_sync`;
  async function select(
    where: string,
    tail: string,
    params: Record<string, unknown>,
  ): Promise<MlflowSyncRow[]> {
    const result = await store.client.query({
      query: `SELECT ${latest} FROM ${table} WHERE ${where} GROUP BY project_id, TraceId ${tail}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return (await result.json<LatestRecord>()).map(rowOf);
  }
  return {
    async insert(rows) {
      if (rows.length === 0) return;
      await store.client.insert({
        table,
        values: rows.map((r) => ({
          project_id: r.projectId,
          TraceId: r.traceId,
          operation: r.operation,
          state: r.state,
          reason: r.reason,
          experiment_id: r.experimentId,
          attempts: r.attempts,
          updated_at: toClickHouse(r.updatedAt),
        })),
        format: 'JSONEachRow',
      });
    },
    async read(projectId, traceId) {
      const [row] = await select('project_id = {projectId:String} AND TraceId = {traceId:String}', '', {
        projectId,
        traceId: traceId.toLowerCase(),
      });
      return row;
    },
    pending({ operations, before, after, limit }) {
      return select(
        '(project_id, TraceId) > ({afterProject:String}, {afterTrace:String})',
        `HAVING last_state = 'pending' AND last_operation IN {operations:Array(String)}
           AND max(updated_at) < toDateTime64({before:String}, 6, 'UTC')
         ORDER BY project_id, TraceId LIMIT {limit:UInt32}`,
        {
          afterProject: after?.projectId ?? '',
          afterTrace: after?.traceId ?? '',
          operations,
          before: toClickHouse(before),
          limit,
        },
      );
    },
  };
}
