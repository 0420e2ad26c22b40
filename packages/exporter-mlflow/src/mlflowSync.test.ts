import type { TraceRequest } from '@llmp/otlp';
import { createLogger, permanent, retryable } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { memorySyncStateTable } from './memorySyncStateTable.ts';
import type { MlflowApi } from './mlflowClient.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { mlflowSync } from './mlflowSync.ts';
import { syncStateLog } from './syncStateLog.ts';
import { batch, span, str } from './testBatches.ts';
import type { TraceUpload } from './traceUploads.ts';

const logger = createLogger({ level: 'silent' });
const config = mlflowExporterConfig.parse({
  trackingUri: 'http://mlflow:5000',
  retryInitial: 5,
  retryMax: 20,
  drainTimeout: 200,
  queueSize: 3,
  concurrency: 2,
});

const upload = (traceId: string): TraceUpload => ({
  projectId: 'default',
  traceId,
  experiment: 'llmp',
  request: { resourceSpans: [] },
  spanCount: 1,
  lateTags: {},
});

/** An in-memory MLflow whose answers a test scripts. */
function fakeMlflow(answer: (call: string) => Error | undefined = () => undefined) {
  const exports: string[] = [];
  const deletes: string[] = [];
  const traces = new Map<string, string>();
  let gate: Promise<void> | undefined;
  const api: MlflowApi = {
    async experimentId() {
      return '7';
    },
    async exportTraces(experimentId) {
      await gate;
      const error = answer('export');
      if (error) throw error;
      exports.push(experimentId);
    },
    async setTraceTag() {},
    async traceExperiment(id) {
      const error = answer('lookup');
      if (error) throw error;
      return traces.get(id);
    },
    async deleteTraces(experimentId, ids) {
      const error = answer('delete');
      if (error) throw error;
      for (const id of ids) traces.delete(id);
      deletes.push(`${experimentId}:${ids.join(',')}`);
    },
  };
  return {
    api,
    exports,
    deletes,
    traces,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('mlflowSync', () => {
  it('retries retryable answers until MLflow takes the upload', async () => {
    let failures = 3;
    const mlflow = fakeMlflow((call) => (call === 'export' && failures-- > 0 ? retryable('503') : undefined));
    const sync = mlflowSync({ api: mlflow.api, config, logger });
    sync.enqueueUploads([upload('a')]);
    expect(sync.recent('default', 'a')?.state).toBe('pending');
    await until(() => sync.recent('default', 'a')?.state === 'uploaded');
    expect(sync.recent('default', 'a')).toMatchObject({ experimentId: '7', attempts: 4 });
    expect(mlflow.exports).toEqual(['7']);
    await sync.shutdown();
  });

  it('marks a permanent refusal failed with the reason, without retrying', async () => {
    const mlflow = fakeMlflow((call) => (call === 'export' ? permanent('HTTP 400 bad span') : undefined));
    const sync = mlflowSync({ api: mlflow.api, config, logger });
    sync.enqueueUploads([upload('a')]);
    await until(() => sync.recent('default', 'a')?.state === 'failed');
    expect(sync.recent('default', 'a')).toMatchObject({ reason: 'HTTP 400 bad span', attempts: 1 });
    expect(sync.stats().failed).toBe(1);
    await sync.shutdown();
  });

  it('counts traces beyond the queue bound as dropped, never blocking the caller', async () => {
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const sync = mlflowSync({ api: mlflow.api, config, logger });
    // Two run (concurrency 2), three wait (queueSize 3), the sixth and seventh are dropped.
    sync.enqueueUploads(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(upload));
    expect(sync.stats()).toMatchObject({ running: 2, queued: 3, dropped: 2 });
    expect(sync.recent('default', 'g')).toMatchObject({
      state: 'failed',
      reason: 'MLflow upload queue full',
    });
    // Spans of a trace already waiting join its upload instead of taking a place.
    sync.enqueueUploads([upload('c')]);
    expect(sync.stats().dropped).toBe(2);
    release();
    await until(() => sync.stats().uploaded === 5);
    // a and b went alone; c, d and e waited and went up together in one request.
    expect(mlflow.exports).toHaveLength(3);
    await sync.shutdown();
  });

  it('deletes a trace after its upload in flight landed, and drops a waiting upload', async () => {
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const sync = mlflowSync({ api: mlflow.api, config: { ...config, concurrency: 1 }, logger });
    sync.enqueueUploads([upload('a'), upload('b')]);
    sync.enqueueDeletion('default', 'a');
    sync.enqueueDeletion('default', 'b');
    expect(sync.recent('default', 'a')).toMatchObject({ state: 'pending', operation: 'delete' });
    mlflow.traces.set('tr-a', '7');
    release();
    await until(() => sync.recent('default', 'b')?.state === 'deleted');
    await until(() => sync.recent('default', 'a')?.state === 'deleted');
    // 'a' was uploading and then deleted; 'b' never went up, so there was nothing to delete.
    expect(mlflow.exports).toEqual(['7']);
    expect(mlflow.deletes).toEqual(['7:tr-a']);
    await sync.shutdown();
  });

  it('stops retrying an upload when its trace is deleted meanwhile', async () => {
    let down = true;
    const mlflow = fakeMlflow((call) => (call === 'export' && down ? retryable('down') : undefined));
    const sync = mlflowSync({ api: mlflow.api, config, logger });
    sync.enqueueUploads([upload('a')]);
    await until(() => (sync.recent('default', 'a')?.attempts ?? 0) >= 2);
    sync.enqueueDeletion('default', 'a');
    await until(() => sync.recent('default', 'a')?.state === 'deleted');
    down = false;
    await new Promise((r) => setTimeout(r, 50));
    expect(mlflow.exports).toEqual([]);
    expect(sync.recent('default', 'a')).toMatchObject({ state: 'deleted', operation: 'delete' });
    await sync.shutdown();
  });

  it('deletes a trace at once while the upload it shared with others keeps backing off', async () => {
    let exports = 0;
    // The first two requests pass, every later one fails.
    const mlflow = fakeMlflow((call) => (call === 'export' && ++exports > 2 ? retryable('down') : undefined));
    const release = mlflow.hold();
    const sync = mlflowSync({ api: mlflow.api, config: { ...config, retryInitial: 60_000 }, logger });
    // a and b take both workers; c and d wait, then go together and back off for a minute.
    sync.enqueueUploads([upload('a'), upload('b'), upload('c'), upload('d')]);
    release();
    await until(() => sync.recent('default', 'd')?.attempts === 1);
    mlflow.traces.set('tr-d', '7');
    sync.enqueueDeletion('default', 'd');
    await until(() => sync.recent('default', 'd')?.state === 'deleted');
    expect(sync.recent('default', 'c')).toMatchObject({ state: 'pending', operation: 'upload', attempts: 1 });
    expect(mlflow.deletes).toEqual(['7:tr-d']);
    await sync.shutdown();
  });

  it('retries a deletion while MLflow is down', async () => {
    let failures = 2;
    const mlflow = fakeMlflow((call) =>
      call === 'lookup' && failures-- > 0 ? retryable('down') : undefined,
    );
    mlflow.traces.set('tr-a', '7');
    const sync = mlflowSync({ api: mlflow.api, config, logger });
    sync.enqueueDeletion('default', 'A');
    await until(() => sync.recent('default', 'a')?.state === 'deleted');
    expect(sync.recent('default', 'a')).toMatchObject({ attempts: 3, experimentId: '7' });
    await sync.shutdown();
  });

  it('gives up on queued work at shutdown after the drain timeout and says so', async () => {
    const mlflow = fakeMlflow(() => retryable('down'));
    const sync = mlflowSync({ api: mlflow.api, config: { ...config, concurrency: 1 }, logger });
    sync.enqueueUploads([upload('a'), upload('b')]);
    await sync.shutdown();
    expect(sync.recent('default', 'a')).toMatchObject({ state: 'failed' });
    expect(sync.recent('default', 'b')).toMatchObject({
      state: 'failed',
      reason: 'llmp stopped before this was sent to MLflow',
    });
    sync.enqueueUploads([upload('c')]);
    expect(sync.recent('default', 'c')).toMatchObject({ state: 'failed', reason: 'llmp is stopping' });
  });
});

/** A stored trace of one root span, as the store would give it back. */
const storedRequest = (traceId: string): TraceRequest =>
  batch([span(traceId, '1'.repeat(16), '', [str('llmp.job.id', 'job-1')])]).request();

describe('mlflowSync over a durable state log', () => {
  const durable = (table: ReturnType<typeof memorySyncStateTable>) =>
    syncStateLog({ table, maxTracked: 100, flushIntervalMs: 60_000, logger });

  it('leaves work pending at shutdown and the next start finishes it: uploads rebuilt from the store, deletions retried', async () => {
    const table = memorySyncStateTable();
    let down = true;
    const first = fakeMlflow(() => (down ? retryable('down') : undefined));
    const before = mlflowSync({ api: first.api, config, logger, states: durable(table) });
    before.start();
    before.enqueueUploads([upload('a'), upload('b')]);
    before.enqueueDeletion('default', 'c');
    await until(() => (before.recent('default', 'a')?.attempts ?? 0) >= 1);
    await before.shutdown();
    expect(before.stats().failed).toBe(0);
    const left = await table.pending({ operations: ['upload', 'delete'], before: '9999', limit: 10 });
    expect(left.map((r) => [r.traceId, r.operation])).toEqual([
      ['a', 'upload'],
      ['b', 'upload'],
      ['c', 'delete'],
    ]);

    down = false;
    const second = fakeMlflow();
    second.traces.set('tr-c', '7');
    const read: string[] = [];
    const after = mlflowSync({
      api: second.api,
      config,
      logger,
      states: durable(table),
      storedTrace: async (projectId, traceId) => {
        read.push(`${projectId}/${traceId}`);
        return storedRequest(traceId);
      },
    });
    after.start();
    await until(() => after.stats().uploaded === 2 && after.stats().deleted === 1);
    expect(read.sort()).toEqual(['default/a', 'default/b']);
    expect(second.deletes).toEqual(['7:tr-c']);
    expect(after.stats().resumed).toBe(3);
    expect(await after.state('default', 'a')).toMatchObject({ state: 'uploaded', experimentId: '7' });
    await after.shutdown();
    expect(await table.pending({ operations: ['upload', 'delete'], before: '9999', limit: 10 })).toEqual([]);
  });

  it('takes over only deletions when asked to, and leaves a trace this run already touched alone', async () => {
    const table = memorySyncStateTable();
    const earlier = syncStateLog({ table, maxTracked: 10, logger, now: () => 1_000 });
    earlier.set('default', 'u', { state: 'pending', operation: 'upload', attempts: 3 });
    earlier.set('default', 'd', { state: 'pending', operation: 'delete', attempts: 3 });
    earlier.set('default', 'e', { state: 'pending', operation: 'delete', attempts: 3 });
    await earlier.close();
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const sync = mlflowSync({
      api: mlflow.api,
      config,
      logger,
      states: durable(table),
      resume: { uploads: false, deletions: true },
      storedTrace: async (_p, traceId) => storedRequest(traceId),
    });
    // This run deletes 'e' itself before resuming.
    sync.enqueueDeletion('default', 'e');
    sync.start();
    release();
    await until(() => sync.stats().deleted === 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(sync.stats()).toMatchObject({ resumed: 1, deleted: 2, uploaded: 0 });
    expect(mlflow.exports).toEqual([]);
    expect(sync.recent('default', 'u')).toBeUndefined();
    await sync.shutdown();
  });

  it('writes a queued deletion to the table when asked, before MLflow answered', async () => {
    const table = memorySyncStateTable();
    const sync = mlflowSync({
      api: fakeMlflow(() => retryable('down')).api,
      config,
      logger,
      states: durable(table),
    });
    sync.enqueueDeletion('default', 'X');
    await sync.flushStates();
    expect(table.rows.map((r) => [r.traceId, r.operation, r.state])).toContainEqual([
      'x',
      'delete',
      'pending',
    ]);
    await sync.shutdown();
  });

  it('marks a pending upload failed when its trace is gone from the store', async () => {
    const table = memorySyncStateTable();
    const earlier = syncStateLog({ table, maxTracked: 10, logger, now: () => 1_000 });
    earlier.set('default', 'gone', { state: 'pending', operation: 'upload', attempts: 1 });
    await earlier.close();
    const sync = mlflowSync({
      api: fakeMlflow().api,
      config,
      logger,
      states: durable(table),
      storedTrace: async () => undefined,
    });
    sync.start();
    await until(() => sync.recent('default', 'gone')?.state === 'failed');
    expect(sync.recent('default', 'gone')?.reason).toBe('the trace is no longer in the store');
    await sync.shutdown();
  });
});
