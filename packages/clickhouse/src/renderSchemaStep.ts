import type { SchemaStep, TableEngine, TableLayout } from './schemaStep.ts';

/**
 * Where a schema is rendered for: one server (or the embedded engine), or a cluster named in
 * the server's `remote_servers`. On a cluster every table `t` is stored in `t_local`
 * (Replicated*MergeTree, one Keeper path per shard) and read and written through `t`, a
 * Distributed table over `t_local`; so every query of the application names the same tables on
 * both. Materialized views are per node, from and to the local tables.
 */
export interface SchemaTarget {
  database: string;
  cluster?: string | undefined;
  /**
   * The embedded engine (`llmp start`, chdb): the only target of embedded-only migrations
   * (Migration.only), e.g. its views moved onto `spans_derive` (migration 31).
   */
  embedded?: boolean | undefined;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Cluster names as ClickHouse configs spell them (`main`, `prod-eu`, `cluster_1S_2R`). */
export const clusterName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * The Keeper path and replica name of a replicated table: `{uuid}` is the table's, the same on
 * every host because ON CLUSTER creates it with one UUID (and unique per table, so a rebuilt
 * table never meets its predecessor's path); `{shard}` and `{replica}` are each server's macros.
 */
export const replicaPath = "'/clickhouse/tables/{uuid}/{shard}', '{replica}'";
/**
 * For the bookkeeping tables every node shares whole (schema_migrations, the migration lock):
 * one replication group across all shards, so replica names take the shard too.
 */
export const clusterWideReplicaPath = "'/clickhouse/tables/{uuid}/all', '{shard}-{replica}'";

/** How many of its newest inserted blocks a table remembers the deduplication tokens of (a repeat is dropped). */
export const dedupWindow = 10_000;

/** The Distributed table's name of a table on a cluster is the table's; its data is here. */
export const localName = (table: string) => `${table}_local`;

function check(name: string): string {
  if (!identifier.test(name)) throw new TypeError(`"${name}" is not a plain identifier`);
  return name;
}

/**
 * The validated, quoted database and `ON CLUSTER` clause of a target.
 * @example targetParts({ database: 'llmp', cluster: 'main' }) // { db: '`llmp`', onCluster: " ON CLUSTER 'main'" }
 */
export function targetParts({ database, cluster }: SchemaTarget): { db: string; onCluster: string } {
  check(database);
  if (cluster !== undefined && !clusterName.test(cluster))
    throw new TypeError(`"${cluster}" is not a ClickHouse cluster name`);
  return { db: `\`${database}\``, onCluster: cluster ? ` ON CLUSTER '${cluster}'` : '' };
}

function engineSql(engine: TableEngine, replicated: string | undefined): string {
  if (replicated === undefined) return engine.args ? `${engine.name}(${engine.args})` : engine.name;
  return `Replicated${engine.name}(${replicated}${engine.args ? `, ${engine.args}` : ''})`;
}

function layoutSql(layout: TableLayout, replicated: string | undefined): string {
  const settings = [...(layout.settings ?? [])];
  if (layout.deduplicated) {
    settings.push(
      replicated === undefined
        ? `non_replicated_deduplication_window = ${dedupWindow}`
        : `replicated_deduplication_window = ${dedupWindow}`,
    );
  }
  return [
    `ENGINE = ${engineSql(layout.engine, replicated)}`,
    layout.partitionBy ? `PARTITION BY ${layout.partitionBy}` : '',
    `ORDER BY ${layout.orderBy}`,
    settings.length > 0 ? `SETTINGS ${settings.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('\n      ');
}

/**
 * The statements of one schema step for a target, in order.
 * @example renderSchemaStep(step, { database: 'llmp', cluster: 'main' })
 */
export function renderSchemaStep(step: SchemaStep, target: SchemaTarget): string[] {
  const { db, onCluster } = targetParts(target);
  const cluster = target.cluster;
  // On a cluster the data lives in the local table; without one, the table is the table.
  const stored = (table: string) => `${db}.${check(cluster ? localName(table) : table)}`;
  const named = (table: string) => `${db}.${check(table)}`;
  const replicated = cluster ? replicaPath : undefined;
  switch (step.kind) {
    case 'createTable': {
      const create = `CREATE TABLE IF NOT EXISTS ${stored(step.table)}${onCluster} (${step.columns})
      ${layoutSql(step, replicated)}`;
      if (!cluster) return [create];
      return [
        create,
        `CREATE TABLE IF NOT EXISTS ${named(step.table)}${onCluster} AS ${stored(step.table)}
      ENGINE = Distributed('${cluster}', '${target.database}', '${localName(step.table)}', ${step.shardBy})`,
      ];
    }
    case 'createView':
      return [
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${named(step.view)}${onCluster} TO ${stored(step.to)} AS
        ${step.select(stored(step.from))}`,
      ];
    case 'dropView':
      return [`DROP VIEW IF EXISTS ${named(step.view)}${onCluster}`];
    case 'createNullTable':
      // Stores nothing: what is inserted only triggers the views reading the table.
      return [
        `CREATE TABLE IF NOT EXISTS ${stored(step.table)}${onCluster} AS ${stored(step.as)} ENGINE = Null`,
      ];
    case 'insertSelect':
      // Through the Distributed table on a cluster: one statement reads every shard and writes
      // each row to the shard its key names.
      return [
        `INSERT INTO ${named(step.table)} ${step.select(`${named(step.from)}${step.final ? ' FINAL' : ''}`)}`,
      ];
    case 'addColumns': {
      const add = (withCodec: boolean) =>
        step.columns
          .map(
            (c) =>
              `ADD COLUMN IF NOT EXISTS ${check(c.name)} ${c.type}${withCodec && c.codec ? ` CODEC(${c.codec})` : ''}`,
          )
          .join(',\n        ');
      const local = `ALTER TABLE ${stored(step.table)}${onCluster}\n        ${add(true)}`;
      // A Distributed table stores nothing: same columns, no codecs.
      return cluster
        ? [local, `ALTER TABLE ${named(step.table)}${onCluster}\n        ${add(false)}`]
        : [local];
    }
    case 'alterLocal':
      return [`ALTER TABLE ${stored(step.table)}${onCluster} ${step.action}`];
    case 'rebuildTable': {
      const rebuild = `${db}.${check(cluster ? localName(`${step.table}_rebuild`) : `${step.table}_rebuild`)}`;
      // Replicated: ATTACH PARTITION FROM and EXCHANGE run on one replica per shard and
      // replicate; the new table's {uuid} path differs from the old one's.
      return [
        `DROP TABLE IF EXISTS ${rebuild}${onCluster} SYNC`,
        `CREATE TABLE ${rebuild}${onCluster} AS ${stored(step.table)} ${layoutSql(step, replicated)}`,
        `ALTER TABLE ${rebuild}${onCluster} ATTACH PARTITION ALL FROM ${stored(step.table)}`,
        `EXCHANGE TABLES ${stored(step.table)} AND ${rebuild}${onCluster}`,
        `DROP TABLE ${rebuild}${onCluster} SYNC`,
      ];
    }
  }
}

/**
 * A bookkeeping table (schema_migrations, the migration lock): whole on every node of a
 * cluster (one replication group, no Distributed table), so any node answers for all.
 * @example renderBookkeepingTable('schema_migrations', 'version UInt32', 'version', { database: 'llmp' })
 */
export function renderBookkeepingTable(
  table: string,
  columns: string,
  orderBy: string,
  target: SchemaTarget,
  { deduplicated = false }: { deduplicated?: boolean } = {},
): string {
  const { db, onCluster } = targetParts(target);
  const engine = engineSql(
    { name: 'ReplacingMergeTree' },
    target.cluster ? clusterWideReplicaPath : undefined,
  );
  // Claims of the migration lock are told apart by their deduplication token (migrationLock.ts).
  const window = !deduplicated
    ? ''
    : target.cluster
      ? ` SETTINGS replicated_deduplication_window = ${dedupWindow}`
      : ` SETTINGS non_replicated_deduplication_window = ${dedupWindow}`;
  return `CREATE TABLE IF NOT EXISTS ${db}.${check(table)}${onCluster} (${columns})
      ENGINE = ${engine} ORDER BY ${orderBy}${window}`;
}
