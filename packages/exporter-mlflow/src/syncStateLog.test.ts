import { createLogger, Registry } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { memorySyncStateTable } from './memorySyncStateTable.ts';
import { syncStateLog } from './syncStateLog.ts';

const logger = createLogger({ level: 'silent' });
const pending = { state: 'pending', operation: 'upload', attempts: 0 } as const;
const uploaded = { state: 'uploaded', operation: 'upload', attempts: 1, experimentId: '7' } as const;

describe('syncStateLog', () => {
  it('writes nothing on set, then one insert per flush with the latest change of each trace', async () => {
    const table = memorySyncStateTable();
    const log = syncStateLog({ table, maxTracked: 100, flushIntervalMs: 60_000, logger });
    log.set('p', 'a', pending);
    log.set('p', 'b', pending);
    log.set('p', 'a', uploaded);
    expect(table.inserts).toEqual([]);
    await log.flush();
    expect(table.inserts).toEqual([2]);
    expect(table.rows.map((r) => [r.traceId, r.state, r.experimentId])).toEqual([
      ['b', 'pending', ''],
      ['a', 'uploaded', '7'],
    ]);
    expect(log.stats()).toMatchObject({ written: 2, buffered: 0 });
    await log.close();
  });

  it('flushes on its interval without being asked', async () => {
    const table = memorySyncStateTable();
    const log = syncStateLog({ table, maxTracked: 100, flushIntervalMs: 10, logger });
    log.set('p', 'a', pending);
    for (let i = 0; i < 100 && table.rows.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(table.rows).toHaveLength(1);
    await log.close();
  });

  it('keeps rows a failed insert could not write and writes them later, newer changes first to win', async () => {
    const table = memorySyncStateTable();
    const registry = new Registry();
    const log = syncStateLog({ table, maxTracked: 100, flushIntervalMs: 60_000, logger, registry });
    table.failWith = new Error('ClickHouse unavailable');
    log.set('p', 'a', pending);
    log.set('p', 'b', pending);
    await log.flush();
    expect(log.stats()).toMatchObject({ failedWrites: 1, buffered: 2, written: 0 });
    log.set('p', 'b', uploaded);
    table.failWith = undefined;
    await log.flush();
    expect(table.rows.map((r) => [r.traceId, r.state])).toEqual([
      ['a', 'pending'],
      ['b', 'uploaded'],
    ]);
    const counted = (await registry.getSingleMetric('llmp_mlflow_sync_state_rows_total')!.get()).values;
    expect(Object.fromEntries(counted.map((v) => [v.labels.result, v.value]))).toEqual({
      failed: 2,
      written: 2,
    });
    await log.close();
  });

  it('bounds what waits to be written: past the bound the oldest change is dropped and counted', async () => {
    const table = memorySyncStateTable();
    table.failWith = new Error('down');
    const log = syncStateLog({ table, maxTracked: 100, maxBuffered: 4, flushIntervalMs: 60_000, logger });
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) log.set('p', id, pending);
    await log.flush();
    expect(log.stats()).toMatchObject({ buffered: 4, droppedWrites: 2 });
    table.failWith = undefined;
    await log.close();
    expect(table.rows.map((r) => r.traceId)).toEqual(['c', 'd', 'e', 'f']);
  });

  it('answers the newer of its own state and the table, and from memory when the table fails', async () => {
    const table = memorySyncStateTable();
    let clock = 1_000;
    const log = syncStateLog({ table, maxTracked: 100, flushIntervalMs: 60_000, logger, now: () => clock });
    log.set('p', 'a', pending);
    // Another process uploaded it later.
    await table.insert([
      {
        projectId: 'p',
        traceId: 'a',
        operation: 'upload',
        state: 'uploaded',
        reason: '',
        experimentId: '9',
        attempts: 1,
        updatedAt: '1970-01-01T00:00:02.000000Z',
      },
    ]);
    expect(await log.get('p', 'a')).toEqual({
      ...uploaded,
      experimentId: '9',
      updatedAt: '1970-01-01T00:00:02.000000Z',
    });
    clock = 3_000;
    log.set('p', 'a', { state: 'pending', operation: 'delete', attempts: 0 });
    expect(await log.get('p', 'a')).toMatchObject({ operation: 'delete', state: 'pending' });
    expect(await log.get('p', 'x')).toBeUndefined();
    table.failWith = new Error('down');
    expect(await log.get('p', 'a')).toMatchObject({ operation: 'delete' });
    table.failWith = undefined;
    await log.close();
  });

  it('stamps strictly increasing microsecond times even when the clock stands still', () => {
    const log = syncStateLog({ maxTracked: 10, logger, now: () => 1_700_000_000_123 });
    expect([log.stamp(), log.stamp()]).toEqual([
      '2023-11-14T22:13:20.123000Z',
      '2023-11-14T22:13:20.123001Z',
    ]);
    expect(log.durable).toBe(false);
  });
});
