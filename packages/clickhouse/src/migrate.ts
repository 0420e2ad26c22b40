import type { ClickHouseStore } from './clickhouseStore.ts';
import { migrations as allMigrations, type Migration } from './migrations.ts';

export interface MigrationReport {
  applied: Array<{ version: number; name: string }>;
  current: number;
}

/**
 * Brings the schema up to date: creates the database and `schema_migrations`, then applies every
 * migration not recorded there, in order. Safe to run again and at every start.
 * @example const { applied, current } = await migrate(store);
 */
export async function migrate(
  store: ClickHouseStore,
  migrations: Migration[] = allMigrations,
): Promise<MigrationReport> {
  const { client, database } = store;
  const ddl = (sql: string) => sql.replaceAll('{db}', `\`${database}\``);
  await client.command({ query: ddl('CREATE DATABASE IF NOT EXISTS {db}') });
  await client.command({
    query: ddl(`CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
      version UInt32,
      name String,
      applied_at DateTime64(3) DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`),
  });
  const result = await client.query({
    query: ddl('SELECT DISTINCT version FROM {db}.schema_migrations'),
    format: 'JSONEachRow',
  });
  const done = new Set((await result.json<{ version: number }>()).map((r) => Number(r.version)));
  const applied: MigrationReport['applied'] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements) await client.command({ query: ddl(statement) });
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    applied.push({ version: migration.version, name: migration.name });
  }
  const current = Math.max(0, ...done, ...applied.map((a) => a.version));
  return { applied, current };
}
