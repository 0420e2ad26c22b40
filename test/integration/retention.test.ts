import {
  type ClickHouseStore,
  currentTtl,
  migrate,
  retentionConfig,
  retentionStatements,
  ttlExpression,
} from '@llmp/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

const dir = tempDir('retention');
let store: ClickHouseStore;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const day = 86_400_000;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace('T', ' ').replace('Z', '');

async function spanIds(): Promise<string[]> {
  const result = await store.client.query({
    query: `SELECT SpanId FROM ${store.database}.spans ORDER BY SpanId`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ SpanId: string }>()).map((r) => r.SpanId);
}

async function ttlOf(table: string): Promise<string> {
  const result = await store.client.query({
    query: 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    query_params: { db: store.database, table },
    format: 'JSONEachRow',
  });
  return currentTtl((await result.json<{ engine_full: string }>())[0]?.engine_full ?? '');
}

describe('retention', () => {
  it('drops spans older than the retention at a merge and keeps the newer ones', async () => {
    await store.client.insert({
      table: `${store.database}.spans`,
      values: [
        { project_id: 'p', Timestamp: at(40 * day), TraceId: 'a'.repeat(32), SpanId: 'old-40d' },
        { project_id: 'p', Timestamp: at(35 * day), TraceId: 'b'.repeat(32), SpanId: 'old-35d' },
        { project_id: 'p', Timestamp: at(2 * day), TraceId: 'c'.repeat(32), SpanId: 'new-2d' },
        { project_id: 'p', Timestamp: at(0), TraceId: 'd'.repeat(32), SpanId: 'new-now' },
      ],
      format: 'JSONEachRow',
    });
    // The TTL on its own would not drop rows of parts written before it until they merge.
    await store.client.command({ query: `SYSTEM STOP TTL MERGES ${store.database}.spans` });
    await migrate(store, undefined, { retention: retentionConfig.parse({ spans: '30d' }) });
    expect(await ttlOf('spans')).toBe('toDateTime(Timestamp) + toIntervalDay(30)');
    expect(await ttlOf('trace_id_ts')).toBe('toDateTime(Start) + toIntervalDay(30)');
    expect(await ttlOf('trace_summary')).toBe('');
    await store.client.command({ query: `SYSTEM START TTL MERGES ${store.database}.spans` });
    await store.client.command({ query: `OPTIMIZE TABLE ${store.database}.spans FINAL` });
    expect(await spanIds()).toEqual(['new-2d', 'new-now']);
  });

  it('changes a TTL in place without dropping data, and leaves a table as it is when the config matches', async () => {
    const config = retentionConfig.parse({ spans: '1d', traces: '90d', rollups: '2w', mlflowSync: '12h' });
    await migrate(store, undefined, { retention: config });
    expect(await ttlOf('spans')).toBe('toDateTime(Timestamp) + toIntervalDay(1)');
    expect(await ttlOf('trace_summary')).toBe('toDateTime(start) + toIntervalDay(90)');
    expect(await ttlOf('span_metrics_hourly')).toBe('bucket + toIntervalDay(14)');
    expect(await ttlOf('mlflow_sync')).toBe('toDateTime(updated_at) + toIntervalHour(12)');
    // Back to 30 days before any merge: the 2-day-old span is still there.
    await store.client.command({ query: `SYSTEM STOP MERGES ${store.database}.spans` });
    await migrate(store, undefined, { retention: retentionConfig.parse({ spans: '30d', traces: '90d' }) });
    expect(await ttlOf('spans')).toBe('toDateTime(Timestamp) + toIntervalDay(30)');
    expect(await ttlOf('span_metrics_hourly')).toBe('');
    await store.client.command({ query: `SYSTEM START MERGES ${store.database}.spans` });
    expect(await spanIds()).toEqual(['new-2d', 'new-now']);
    // Nothing differs: no statement.
    expect(await retentionStatements(store, retentionConfig.parse({ spans: '30d', traces: '90d' }))).toEqual(
      [],
    );
  });

  it('moves rows to a cold volume of a storage policy by TTL … TO VOLUME', async () => {
    const config = retentionConfig.parse({
      spans: '30d',
      cold: { volume: 'cold', after: '7d' },
      storagePolicy: 'tiered',
    });
    expect(ttlExpression('spans', config)).toBe(
      "toDateTime(Timestamp) + toIntervalDay(7) TO VOLUME 'cold', toDateTime(Timestamp) + toIntervalDay(30)",
    );
    // The embedded engine has no storage policy but the default: the statements' shape only.
    const statements = await retentionStatements(store, config);
    expect(statements).toContain(
      `ALTER TABLE \`${store.database}\`.spans MODIFY SETTING storage_policy = 'tiered'`,
    );
    expect(statements).toContain(
      `ALTER TABLE \`${store.database}\`.spans MODIFY TTL toDateTime(Timestamp) + toIntervalDay(7) TO VOLUME 'cold', toDateTime(Timestamp) + toIntervalDay(30)`,
    );
    expect(() => retentionConfig.parse({ spans: '30 days' })).toThrow();
    expect(() => retentionConfig.parse({ cold: { volume: "x' OR 1", after: '7d' } })).toThrow();
  });
});
