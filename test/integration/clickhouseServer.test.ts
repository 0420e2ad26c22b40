import { type ClickHouseStore, latestSchemaVersion, migrate, requireSchema } from '@llmp/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';
import { clickhouseServer, openTestStore } from '../support/testStore.ts';

// Only with a server (CLICKHOUSE_URL; CLICKHOUSE_CLUSTER for a cluster): what the embedded
// engine cannot show. Every other integration suite runs against the same server then too
// (test/support/testStore.ts). README, "Testing against a ClickHouse server".
describe.skipIf(!clickhouseServer)('the schema on a ClickHouse server', () => {
  const dir = tempDir('server');
  let store: ClickHouseStore;
  beforeAll(async () => {
    store = await openTestStore(dir.path);
  });
  afterAll(async () => {
    await store?.close();
    dir.remove();
  });

  it('migrates, and a role that does not migrate finds the schema current', async () => {
    expect((await migrate(store)).current).toBe(latestSchemaVersion);
    await expect(requireSchema(store)).resolves.toBe(latestSchemaVersion);
    expect((await migrate(store)).applied).toEqual([]);
  });

  it('has the engines of its kind: replicated local tables behind Distributed ones on a cluster', async () => {
    const result = await store.client.query({
      query: 'SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name',
      query_params: { db: store.database },
      format: 'JSONEachRow',
    });
    const engines = new Map(
      (await result.json<{ name: string; engine: string }>()).map((t) => [t.name, t.engine]),
    );
    if (!store.cluster) {
      expect(engines.get('spans')).toBe('ReplacingMergeTree');
      return;
    }
    for (const [name, engine] of engines) {
      if (name.endsWith('_mv')) expect(engine).toBe('MaterializedView');
      else if (name.endsWith('_local') || name === 'schema_migrations' || name === 'llmp_migration_lock')
        expect(engine, name).toMatch(/^Replicated\w*MergeTree$/);
      else {
        expect(engine, name).toBe('Distributed');
        expect(engines.get(`${name}_local`), name).toMatch(/^Replicated/);
      }
    }
  });
});
