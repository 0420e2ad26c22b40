import { readFileSync } from 'node:fs';
import {
  type ClickHouseStore,
  latestSchemaVersion,
  MigrationLockError,
  migrate,
  migrationLockTable,
  migrations,
  openStore,
  renderMigrations,
  requireSchema,
  SchemaBehindError,
  takeMigrationLock,
} from '@llmp/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';

// The embedded engine has no cluster: the cluster's statements run here with replication taken
// out (the non-replicated equivalent), and must give the tables today's schema has.
const dir = tempDir('cluster-schema');
let store: ClickHouseStore;
const at = (database: string): ClickHouseStore => ({ ...store, database });

beforeAll(async () => {
  store = await openStore({ dataDir: dir.path });
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

interface ColumnRow {
  table: string;
  name: string;
  type: string;
  default_kind: string;
  default_expression: string;
  compression_codec: string;
}
interface TableRow {
  name: string;
  engine: string;
  sorting_key: string;
  partition_key: string;
  primary_key: string;
}

/**
 * The schema written by migrations 1–10 before they were definitions (main at 62ea4c0): the
 * definitions of those migrations must write it still. Later migrations have no raw SQL to agree
 * with; their cluster statements are checked in renderSchemaStep.test.ts.
 */
const defined = migrations.filter((m) => m.version <= 10);
const before = JSON.parse(
  readFileSync(new URL('../fixtures/schemaBeforeCluster.json', import.meta.url), 'utf8'),
) as { columns: ColumnRow[]; tables: TableRow[] };

async function schemaOf(database: string): Promise<{ columns: ColumnRow[]; tables: TableRow[] }> {
  const columns = await store.client.query({
    query: `SELECT table, name, type, default_kind, default_expression, compression_codec FROM system.columns
      WHERE database = {db:String} AND table != {lock:String} ORDER BY table, position`,
    query_params: { db: database, lock: migrationLockTable },
    format: 'JSONEachRow',
  });
  const tables = await store.client.query({
    query: `SELECT name, engine, sorting_key, partition_key, primary_key FROM system.tables
      WHERE database = {db:String} AND name != {lock:String} ORDER BY name`,
    query_params: { db: database, lock: migrationLockTable },
    format: 'JSONEachRow',
  });
  return { columns: await columns.json<ColumnRow>(), tables: await tables.json<TableRow>() };
}

/** A cluster statement without its cluster: plain engines, no ON CLUSTER, no Distributed tables. */
function withoutReplication(sql: string, distributedNames: Set<string>): string | undefined {
  if (/ENGINE = Distributed\(/.test(sql) || sql.startsWith('INSERT')) return undefined;
  const altered = /^ALTER TABLE `\w+`\.(\w+) /.exec(sql)?.[1];
  if (altered && distributedNames.has(altered)) return undefined;
  return sql
    .replaceAll(/ ON CLUSTER '[^']*'/g, '')
    .replaceAll(
      /Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, ([^)]*))?\)/g,
      (_m, engine: string, args?: string) => (args ? `${engine}(${args})` : engine),
    )
    .replaceAll('replicated_deduplication_window', 'non_replicated_deduplication_window');
}

describe('the schema from migration definitions on the embedded engine', () => {
  it('is the schema the raw migrations made: same tables, engines, keys and columns', async () => {
    await migrate(store, defined);
    const now = await schemaOf('llmp');
    expect(now.tables).toEqual(before.tables);
    expect(now.columns).toEqual(before.columns);
  });

  it('runs the cluster statements without replication into <name>_local tables of the same shape', async () => {
    const shape = 'llmp_cluster_shape';
    await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${shape}` });
    const distributedNames = new Set(
      migrations.flatMap((m) => m.steps.flatMap((s) => (s.kind === 'createTable' ? [s.table] : []))),
    );
    let ran = 0;
    for (const { statements } of renderMigrations(defined, { database: shape, cluster: 'main' })) {
      for (const sql of statements) {
        const plain = withoutReplication(sql, distributedNames);
        if (plain === undefined) continue;
        await store.client.command({ query: plain });
        ran++;
      }
    }
    expect(ran).toBeGreaterThan(20);
    const cluster = await schemaOf(shape);
    const local = (name: string) => name.replace(/_local$/, '');
    // The views keep their names; every table is its single-node self under <name>_local.
    expect(cluster.tables.map((t) => ({ ...t, name: local(t.name) }))).toEqual(
      before.tables.filter((t) => t.name !== 'schema_migrations'),
    );
    expect(cluster.columns.map((c) => ({ ...c, table: local(c.table) }))).toEqual(
      before.columns.filter((c) => c.table !== 'schema_migrations'),
    );
  });

  it('gives every migration, later ones included, the single-node shape in <name>_local tables', async () => {
    const single = 'llmp_all_single';
    const shape = 'llmp_all_cluster_shape';
    // A single-node server's schema (not the embedded store's: migration 31 is embedded only).
    await migrate({ ...at(single), embedded: false });
    await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${shape}` });
    const distributedNames = new Set(
      migrations.flatMap((m) => m.steps.flatMap((s) => (s.kind === 'createTable' ? [s.table] : []))),
    );
    for (const { statements } of renderMigrations(migrations, { database: shape, cluster: 'main' })) {
      for (const sql of statements) {
        const plain = withoutReplication(sql, distributedNames);
        if (plain !== undefined) await store.client.command({ query: plain });
      }
    }
    const expected = await schemaOf(single);
    const cluster = await schemaOf(shape);
    const local = (name: string) => name.replace(/_local$/, '');
    expect(cluster.tables.map((t) => ({ ...t, name: local(t.name) }))).toEqual(
      expected.tables.filter((t) => t.name !== 'schema_migrations'),
    );
    expect(cluster.columns.map((c) => ({ ...c, table: local(c.table) }))).toEqual(
      expected.columns.filter((c) => c.table !== 'schema_migrations'),
    );
  });
});

describe('the migration lock', () => {
  it('lets one of two migrators at once migrate; the other waits and finds nothing to do', async () => {
    const database = 'llmp_two_migrators';
    const [a, b] = await Promise.all([
      migrate(at(database), migrations, { lock: { owner: 'migrator-a', pollMs: 50 } }),
      migrate(at(database), migrations, { lock: { owner: 'migrator-b', pollMs: 50 } }),
    ]);
    const applied = [a.applied.length, b.applied.length].sort((x, y) => x - y);
    expect(applied).toEqual([0, migrations.length]);
    expect(a.current).toBe(latestSchemaVersion);
    expect(b.current).toBe(latestSchemaVersion);
    // Each migration recorded once (no FINAL: a second record would show).
    const recorded = await store.client.query({
      query: `SELECT version, count() AS n FROM ${database}.schema_migrations GROUP BY version ORDER BY version`,
      format: 'JSONEachRow',
    });
    expect(
      (await recorded.json<{ version: number; n: string }>()).map((r) => [r.version, Number(r.n)]),
    ).toEqual(migrations.map((m) => [m.version, 1]));
    // Both held the lock in turn: claim, release, claim, release.
    const claims = await store.client.query({
      query: `SELECT generation, owner FROM ${database}.${migrationLockTable} ORDER BY generation`,
      format: 'JSONEachRow',
    });
    const owners = (await claims.json<{ owner: string }>()).map((r) => r.owner);
    expect(owners).toHaveLength(4);
    expect([owners[1], owners[3]]).toEqual(['', '']);
    expect(new Set([owners[0], owners[2]])).toEqual(new Set(['migrator-a', 'migrator-b']));
  });

  it('fails plainly, naming the holder, when another migrator keeps it past the wait', async () => {
    const database = 'llmp_lock_held';
    await migrate(at(database), migrations.slice(0, 1));
    const held = await takeMigrationLock(at(database), { database }, { owner: 'host-1:42' });
    const error = await migrate(at(database), migrations, {
      lock: { owner: 'other', waitMs: 200, pollMs: 50 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationLockError);
    expect((error as MigrationLockError).kind).toBe('migration-lock-busy');
    expect((error as Error).message).toContain(
      'another llmp (host-1:42) is migrating the schema of llmp_lock_held',
    );
    await held.release();
    expect((await migrate(at(database), migrations)).applied).toHaveLength(migrations.length - 1);
  });

  it('is taken again once a dead holder’s lease has ended', async () => {
    const database = 'llmp_lock_expired';
    await migrate(at(database), migrations.slice(0, 1));
    await takeMigrationLock(at(database), { database }, { owner: 'died', leaseMs: 100 }); // never released
    const report = await migrate(at(database), migrations, {
      lock: { owner: 'next', waitMs: 10_000, pollMs: 50 },
    });
    expect(report.current).toBe(latestSchemaVersion);
  });
});

describe('--no-migrate roles', () => {
  it('start on a current schema and refuse an older one with a plain message', async () => {
    const database = 'llmp_behind';
    const error = await requireSchema(at(database)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaBehindError);
    expect((error as Error).message).toMatch(
      /schema of llmp_behind is at version 0, this llmp needs \d+.*llmp migrate/,
    );
    await migrate(at(database), migrations.slice(0, -1));
    await expect(requireSchema(at(database))).rejects.toMatchObject({
      kind: 'schema-behind',
      // Versions need not be consecutive (branches take numbers ahead): the one before the last.
      current: migrations.at(-2)!.version,
    });
    await migrate(at(database));
    await expect(requireSchema(at(database))).resolves.toBe(latestSchemaVersion);
  });
});
