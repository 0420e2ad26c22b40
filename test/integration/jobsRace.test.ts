import { type ClickHouseStore, migrate, storeTraceSource } from '@llmp/clickhouse';
import { jobStore } from '@llmp/jobs';
import { queryApp } from '@llmp/query-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobsApi, jobsApi } from '../support/jobsApi.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Two query API instances, each over its own @clickhouse/client connection to the same embedded
// store, as two `llmp query` processes share one ClickHouse server. (The embedded engine lets
// only one process open a data dir, but one process may open several connections to it.)
// A barrier holds the racing inserts until both writers have read the same state and sent
// their insert, so the race is decided by ClickHouse's deduplication, not by timing luck.
const dir = tempDir('jobs-race');
const stores: ClickHouseStore[] = [];
let a: JobsApi;
let b: JobsApi;
let barrier: { table: string; waiting: Array<() => void>; parties: number } | undefined;

/** The store with inserts into `barrier.table` held until `barrier.parties` of them arrived. */
function heldAtBarrier(store: ClickHouseStore): ClickHouseStore {
  const client = new Proxy(store.client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== 'insert') return typeof value === 'function' ? value.bind(target) : value;
      return async (params: { table: string }) => {
        const held = barrier;
        if (held && params.table.endsWith(`.${held.table}`)) {
          await new Promise<void>((resolve) => {
            held.waiting.push(resolve);
            if (held.waiting.length === held.parties) {
              barrier = undefined;
              for (const release of held.waiting) release();
            }
          });
        }
        return (value as (p: unknown) => Promise<unknown>).call(target, params);
      };
    },
  });
  return { ...store, client };
}

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const store = await openTestStore(dir.path);
    stores.push(store);
    await migrate(store);
  }
  expect(stores[0]!.client).not.toBe(stores[1]!.client);
  const app = (store: ClickHouseStore) => {
    const held = heldAtBarrier(store);
    return jobsApi(queryApp({ source: storeTraceSource(held), jobs: jobStore(held) }));
  };
  a = app(stores[0]!);
  b = app(stores[1]!);
});
afterAll(async () => {
  for (const store of stores) await store.close();
  dir.remove();
});

async function rowCount(table: string, id: string, column: string, value: number): Promise<number> {
  const result = await stores[0]!.client.query({
    query: `SELECT count() AS n FROM ${stores[0]!.database}.${table} WHERE project_id = 'default' AND ${
      table === 'jobs' ? 'id' : 'job_id'
    } = {id:String} AND ${column} = {value:UInt64}`,
    query_params: { id, value },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

describe('two API instances updating one job at once', () => {
  it.each([1, 2, 3])('one PATCH wins version n+1, the other gets 409 (round %i)', async (round) => {
    const id = `race-patch-${round}`;
    expect((await a.post('/v1/jobs', { id, name: id, prompt: 'original' })).status).toBe(201);
    barrier = { table: 'jobs', waiting: [], parties: 2 };
    const [fromA, fromB] = await Promise.all([
      a.patch(`/v1/jobs/${id}`, { prompt: 'from A' }, { 'if-match': '"1"' }),
      b.patch(`/v1/jobs/${id}`, { prompt: 'from B' }, { 'if-match': '"1"' }),
    ]);
    expect(barrier).toBeUndefined();
    expect([fromA.status, fromB.status].sort()).toEqual([200, 409]);
    const [winner, loser, winnerPrompt] =
      fromA.status === 200 ? [fromA, fromB, 'from A'] : [fromB, fromA, 'from B'];
    expect(winner.body).toMatchObject({ version: 2, prompt: winnerPrompt });
    expect(loser.headers.get('content-type')).toBe('application/problem+json');
    expect(loser.body.detail).toContain('changed concurrently');

    // Both instances see the winner's version 2, stored once, and one update event.
    for (const api of [a, b])
      expect((await api.get(`/v1/jobs/${id}`)).body).toMatchObject({ version: 2, prompt: winnerPrompt });
    expect(await rowCount('jobs', id, 'version', 2)).toBe(1);
    const events = (await b.get(`/v1/jobs/${id}/events`)).body.items;
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['created', 'updated']);
    expect(events[1].changes).toEqual({ prompt: { from: 'original', to: winnerPrompt } });
  });

  it('of complete and terminate, exactly one happens', async () => {
    const id = 'race-final';
    await a.post('/v1/jobs', { id, name: id });
    barrier = { table: 'job_events', waiting: [], parties: 2 };
    const [completed, terminated] = await Promise.all([
      a.post(`/v1/jobs/${id}/complete`),
      b.post(`/v1/jobs/${id}/terminate`),
    ]);
    expect([completed.status, terminated.status].sort()).toEqual([200, 409]);
    const winner = completed.status === 200 ? 'completed' : 'terminated';
    const loser = completed.status === 200 ? terminated : completed;
    // The loser re-read the job after losing event 2, found it final, and said so.
    expect(loser.body.detail).toContain(`a ${winner} job is final`);
    expect((await b.get(`/v1/jobs/${id}`)).body.status).toBe(winner);
    expect(await rowCount('job_events', id, 'seq', 2)).toBe(1);
    const events = (await a.get(`/v1/jobs/${id}/events`)).body.items;
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['created', winner]);
  });

  it('of two pauses, the second finds the job paused', async () => {
    const id = 'race-pause';
    await a.post('/v1/jobs', { id, name: id });
    barrier = { table: 'job_events', waiting: [], parties: 2 };
    const answers = await Promise.all([a.post(`/v1/jobs/${id}/pause`), b.post(`/v1/jobs/${id}/pause`)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(answers.find((r) => r.status === 409)!.body.detail).toContain('cannot pause a paused job');
    expect((await a.get(`/v1/jobs/${id}/events`)).body.items).toHaveLength(2);
  });

  it('of a PATCH and a pause, both happen: a status change is not a version', async () => {
    const id = 'race-mixed';
    await a.post('/v1/jobs', { id, name: id });
    barrier = { table: 'job_events', waiting: [], parties: 2 };
    const [patched, paused] = await Promise.all([
      a.patch(`/v1/jobs/${id}`, { description: 'changed' }),
      b.post(`/v1/jobs/${id}/pause`),
    ]);
    expect([patched.status, paused.status]).toEqual([200, 200]);
    const job = (await a.get(`/v1/jobs/${id}`)).body;
    expect(job).toMatchObject({ version: 2, status: 'paused', description: 'changed' });
    const events = (await b.get(`/v1/jobs/${id}/events`)).body.items;
    expect(events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
    expect(events.map((e: { kind: string }) => e.kind).sort()).toEqual(['created', 'paused', 'updated']);
  });
});
