import type { Migration } from './migration.ts';

/** The tables an INSERT into spans writes a part of: spans and the targets of its views. */
const insertPathTables = ['spans', 'trace_search', 'trace_job_usage', 'span_metrics_hourly'] as const;

/**
 * Migration 29: the merges of the tables every span INSERT writes to wait for more parts.
 * ClickHouse's merge selector weighs each part as its size plus a fixed 5 MiB, so parts of a
 * few MiB count as equal: with the default base of 5 it merged as soon as five or six parts were
 * there, the partition's biggest among them, and rewrote that part every five INSERTs. Under
 * `llmp start`'s INSERTs of ~1 200 small spans each row was merged about seven times in a store's first
 * 45 s, and the merges took more CPU than the INSERTs (docs/benchmarks.md, "aiomerge"). A base
 * of 20 waits for about twenty parts of a size, so a row is merged about once per twenty-fold
 * growth. The bound on parts stays the selector's own: it lowers the base toward 2 as a
 * partition's parts go from 10 to 50 and as they age from 10 s to an hour, so a partition stays
 * below ~50 parts while merges keep up (at most 21 seen at the all-in-one's rate), far below
 * `parts_to_delay_insert` (1 000), and a store at rest gathers into few parts.
 */
export const mergeSelectorMigration: Migration = {
  version: 29,
  name: 'span insert tables merge twenty parts at once',
  steps: insertPathTables.map((table) => ({
    kind: 'alterLocal',
    table,
    action: 'MODIFY SETTING merge_selector_base = 20',
  })),
};
