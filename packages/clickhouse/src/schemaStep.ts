/**
 * One change of the schema, described by what it does rather than by its SQL, so that the same
 * migration renders for a single server (or the embedded engine) and for a cluster
 * (renderSchemaStep). Table and view names are bare (`spans`); selects are functions of the
 * table they read, because a cluster's views read the local table and its back-fills the
 * distributed one.
 */
export type SchemaStep =
  | CreateTableStep
  | CreateViewStep
  | InsertSelectStep
  | AddColumnsStep
  | AlterLocalStep
  | RebuildTableStep
  | DropViewStep
  | CreateNullTableStep;

/** The MergeTree family member, without its replicated prefix. */
export interface TableEngine {
  name: 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree' | 'SummingMergeTree';
  /** Engine arguments, e.g. the version column of a ReplacingMergeTree. */
  args?: string;
}

/** The storage shape a table is created or rebuilt with. */
export interface TableLayout {
  engine: TableEngine;
  partitionBy?: string;
  orderBy: string;
  /** Table settings in order, as `name = value` text, without the deduplication window. */
  settings?: string[];
  /**
   * Whether repeated inserts with the same insert_deduplication_token are dropped: a
   * non-replicated table needs `non_replicated_deduplication_window`, a replicated one has
   * `replicated_deduplication_window` (set explicitly so it does not depend on the server's default).
   */
  deduplicated?: boolean;
}

export interface CreateTableStep extends TableLayout {
  kind: 'createTable';
  table: string;
  /** The column and index list between the parentheses. */
  columns: string;
  /**
   * On a cluster, the Distributed table's sharding key. Deterministic on purpose: a retried
   * insert must split into the same per-shard blocks for each shard to recognise its block by
   * the deduplication token, and rows a ReplacingMergeTree collapses must land on one shard.
   */
  shardBy: string;
}

export interface CreateViewStep {
  kind: 'createView';
  view: string;
  /** The table the view writes to. */
  to: string;
  /** The table the view is triggered by. */
  from: string;
  select: (source: string) => string;
}

/** A back-fill: `INSERT INTO table SELECT … FROM from [FINAL]`. */
export interface InsertSelectStep {
  kind: 'insertSelect';
  table: string;
  from: string;
  final?: boolean;
  select: (source: string) => string;
}

/** New columns, on the table and (on a cluster) on its Distributed table too. */
export interface AddColumnsStep {
  kind: 'addColumns';
  table: string;
  columns: Array<{ name: string; type: string; codec?: string }>;
}

/** An ALTER that concerns the stored data only (index, setting): the local table on a cluster. */
export interface AlterLocalStep {
  kind: 'alterLocal';
  table: string;
  action: string;
}

/**
 * A table re-created with a new layout, taking the existing parts as they are (hard links) and
 * then the name: for what cannot be altered (granularity).
 */
export interface RebuildTableStep extends TableLayout {
  kind: 'rebuildTable';
  table: string;
}

/** A materialized view removed (on every node of a cluster): its table is no longer filled. */
export interface DropViewStep {
  kind: 'dropView';
  view: string;
}

/**
 * A Null-engine table with another table's columns: it stores nothing, and an INSERT into it
 * fills the views that read it (`spans_derive`, migration 31).
 */
export interface CreateNullTableStep {
  kind: 'createNullTable';
  table: string;
  /** The table whose columns it takes. */
  as: string;
}
