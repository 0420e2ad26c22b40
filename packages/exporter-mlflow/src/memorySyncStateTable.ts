import type { SyncStateRow, SyncStateTable } from './syncStateLog.ts';

export interface MemorySyncStateTable extends SyncStateTable {
  /** Every row inserted, in order. */
  rows: SyncStateRow[];
  /** Rows per insert call. */
  inserts: number[];
  /** While set, every call rejects with it. */
  failWith: Error | undefined;
}

/**
 * The state table in memory, with ClickHouse's answers (latest updatedAt wins, key order), for
 * unit tests of what runs over it.
 * @example const table = memorySyncStateTable(); syncStateLog({ table, maxTracked: 10, logger });
 */
export function memorySyncStateTable(): MemorySyncStateTable {
  const latest = (rows: SyncStateRow[]) => {
    const byKey = new Map<string, SyncStateRow>();
    for (const row of rows) {
      const key = `${row.projectId}\u0000${row.traceId}`;
      const seen = byKey.get(key);
      if (!seen || row.updatedAt >= seen.updatedAt) byKey.set(key, row);
    }
    return [...byKey.values()].sort((a, b) =>
      a.projectId === b.projectId ? (a.traceId < b.traceId ? -1 : 1) : a.projectId < b.projectId ? -1 : 1,
    );
  };
  const table: MemorySyncStateTable = {
    rows: [],
    inserts: [],
    failWith: undefined,
    async insert(rows) {
      if (table.failWith) throw table.failWith;
      table.inserts.push(rows.length);
      table.rows.push(...rows.map((r) => ({ ...r })));
    },
    async read(projectId, traceId) {
      if (table.failWith) throw table.failWith;
      return latest(table.rows).find((r) => r.projectId === projectId && r.traceId === traceId);
    },
    async pending({ operations, before, after, limit }) {
      if (table.failWith) throw table.failWith;
      return latest(table.rows)
        .filter(
          (r) =>
            r.state === 'pending' &&
            operations.includes(r.operation) &&
            r.updatedAt < before &&
            (!after ||
              r.projectId > after.projectId ||
              (r.projectId === after.projectId && r.traceId > after.traceId)),
        )
        .slice(0, limit);
    },
  };
  return table;
}
