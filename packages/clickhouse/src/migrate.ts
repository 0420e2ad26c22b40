import type { z } from 'zod';
import { type ClickHouseStore, StoreOpenError } from './clickhouseStore.ts';
import { type MigrationLockOptions, migrationLockDdl, takeMigrationLock } from './migrationLock.ts';
import { migrations as allMigrations, type Migration } from './migrations.ts';
import {
  renderBookkeepingTable,
  renderSchemaStep,
  type SchemaTarget,
  targetParts,
} from './renderSchemaStep.ts';
import { applyRetention, type retentionConfig } from './retention.ts';

export interface MigrationReport {
  applied: Array<{ version: number; name: string }>;
  current: number;
}

export interface MigrateOptions {
  /** The migration lock's owner name, lease and wait (migrationLock.ts). */
  lock?: MigrationLockOptions;
  /** The tables' TTLs (clickhouse.retention), applied after the migrations when they differ. */
  retention?: z.output<typeof retentionConfig> | undefined;
}

/** The schema in the store is older than this llmp and the role was told not to migrate it. */
export class SchemaBehindError extends StoreOpenError {
  override readonly kind = 'schema-behind';
  readonly current: number;
  readonly required: number;
  constructor(current: number, required: number, database: string) {
    super(
      `the ClickHouse schema of ${database} is at version ${current}, this llmp needs ${required}. ` +
        'This role runs with --no-migrate: run `llmp migrate` (the upgrade step) first, then start it again.',
    );
    this.name = 'SchemaBehindError';
    this.current = current;
    this.required = required;
  }
}

/** Where a store's schema is rendered for: its database, and its cluster when it has one. */
export const storeTarget = (store: ClickHouseStore): SchemaTarget => ({
  database: store.database,
  cluster: store.cluster,
  embedded: store.embedded,
});

/**
 * Every statement of a list of migrations for a target, in order, with their versions: what
 * migrate runs (and what the tests check for a cluster).
 * @example renderMigrations(migrations, { database: 'llmp', cluster: 'main' })
 */
export function renderMigrations(
  migrations: Migration[],
  target: SchemaTarget,
): Array<{ version: number; statements: string[] }> {
  return [...migrations]
    .sort((a, b) => a.version - b.version)
    .map((m) => ({
      version: m.version,
      statements:
        m.only === 'embedded' && !target.embedded
          ? []
          : m.steps.flatMap((step) => renderSchemaStep(step, target)),
    }));
}

async function appliedVersions(store: ClickHouseStore, target: SchemaTarget): Promise<Set<number>> {
  const { db } = targetParts(target);
  const result = await store.client.query({
    query: `SELECT DISTINCT version FROM ${db}.schema_migrations`,
    format: 'JSONEachRow',
  });
  return new Set((await result.json<{ version: number }>()).map((r) => Number(r.version)));
}

/**
 * The schema version the store is at (0: no schema yet); reads only.
 * @example if ((await schemaVersion(store)) < latestSchemaVersion) …
 */
export async function schemaVersion(store: ClickHouseStore): Promise<number> {
  const result = await store.client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    query_params: { db: store.database, table: 'schema_migrations' },
    format: 'JSONEachRow',
  });
  if (Number((await result.json<{ n: string }>())[0]?.n ?? 0) === 0) return 0;
  return Math.max(0, ...(await appliedVersions(store, storeTarget(store))));
}

/** The version every migration of this llmp brings the schema to. */
export const latestSchemaVersion = Math.max(...allMigrations.map((m) => m.version));

/**
 * For roles that must not migrate (`--no-migrate`): resolves when the schema is at least the
 * version this llmp needs, otherwise rejects with SchemaBehindError (a plain message).
 * @example await requireSchema(store);
 */
export async function requireSchema(store: ClickHouseStore, required = latestSchemaVersion): Promise<number> {
  const current = await schemaVersion(store);
  if (current < required) throw new SchemaBehindError(current, required, store.database);
  return current;
}

/**
 * Brings the schema up to date: creates the database, `schema_migrations` and the migration
 * lock table, then, holding the lock, applies every migration not recorded, in order. On a
 * cluster (`store.cluster`) every statement runs ON CLUSTER with replicated engines and
 * Distributed tables (renderSchemaStep.ts). Safe to run again, and at every start.
 * @example const { applied, current } = await migrate(store);
 */
export async function migrate(
  store: ClickHouseStore,
  migrations: Migration[] = allMigrations,
  { lock: lockOptions = {}, retention }: MigrateOptions = {},
): Promise<MigrationReport> {
  const { client } = store;
  const target = storeTarget(store);
  const { db, onCluster } = targetParts(target);
  const wanted = renderMigrations(migrations, target);
  // IF NOT EXISTS, and ON CLUSTER DDL is queued in Keeper: safe before taking the lock.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}` });
  await client.command({
    query: renderBookkeepingTable(
      'schema_migrations',
      `version UInt32,
      name String,
      applied_at DateTime64(3) DEFAULT now64(3)`,
      'version',
      target,
    ),
  });
  await client.command({ query: migrationLockDdl(target) });
  let done = await appliedVersions(store, target);
  const current = () => Math.max(0, ...done);
  // Nothing to do: no lock, so that many roles starting at once do not queue for it.
  if (wanted.every((m) => done.has(m.version))) {
    if (retention) await applyRetention(store, retention);
    return { applied: [], current: current() };
  }
  const lock = await takeMigrationLock(store, target, lockOptions);
  const applied: MigrationReport['applied'] = [];
  try {
    // What the previous holder applied, which this replica may still be fetching.
    if (target.cluster) await client.command({ query: `SYSTEM SYNC REPLICA ${db}.schema_migrations` });
    done = await appliedVersions(store, target);
    for (const migration of wanted) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) {
        await client.command({
          query: statement,
          // A back-fill through a Distributed table is written to the shards before it returns.
          ...(target.cluster ? { clickhouse_settings: { insert_distributed_sync: 1 } } : {}),
        });
      }
      const name = migrations.find((m) => m.version === migration.version)?.name ?? '';
      await client.insert({
        table: `${target.database}.schema_migrations`,
        values: [{ version: migration.version, name }],
        format: 'JSONEachRow',
      });
      applied.push({ version: migration.version, name });
      done.add(migration.version);
    }
    if (retention) await applyRetention(store, retention);
  } finally {
    await lock.release();
  }
  return { applied, current: current() };
}
