import { createLogger, permanent, retryable } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import type { MlflowApi } from './mlflowClient.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { mlflowSync } from './mlflowSync.ts';
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
    expect(sync.state('default', 'a')?.state).toBe('pending');
    await until(() => sync.state('default', 'a')?.state === 'uploaded');
    expect(sync.state('default', 'a')).toMatchObject({ experimentId: '7', attempts: 4 });
    expect(mlflow.exports).toEqual(['7']);
    await sync.shutdown();
  });

  it('marks a permanent refusal failed with the reason, without retrying', async () => {
    const mlflow = fakeMlflow((call) => (call === 'export' ? permanent('HTTP 400 bad span') : undefined));
    const sync = mlflowSync({ api: mlflow.api, config, logger });
    sync.enqueueUploads([upload('a')]);
    await until(() => sync.state('default', 'a')?.state === 'failed');
    expect(sync.state('default', 'a')).toMatchObject({ reason: 'HTTP 400 bad span', attempts: 1 });
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
    expect(sync.state('default', 'g')).toMatchObject({ state: 'failed', reason: 'MLflow upload queue full' });
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
    expect(sync.state('default', 'a')).toMatchObject({ state: 'pending', operation: 'delete' });
    mlflow.traces.set('tr-a', '7');
    release();
    await until(() => sync.state('default', 'b')?.state === 'deleted');
    await until(() => sync.state('default', 'a')?.state === 'deleted');
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
    await until(() => (sync.state('default', 'a')?.attempts ?? 0) >= 2);
    sync.enqueueDeletion('default', 'a');
    await until(() => sync.state('default', 'a')?.state === 'deleted');
    down = false;
    await new Promise((r) => setTimeout(r, 50));
    expect(mlflow.exports).toEqual([]);
    expect(sync.state('default', 'a')).toMatchObject({ state: 'deleted', operation: 'delete' });
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
    await until(() => sync.state('default', 'd')?.attempts === 1);
    mlflow.traces.set('tr-d', '7');
    sync.enqueueDeletion('default', 'd');
    await until(() => sync.state('default', 'd')?.state === 'deleted');
    expect(sync.state('default', 'c')).toMatchObject({ state: 'pending', operation: 'upload', attempts: 1 });
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
    await until(() => sync.state('default', 'a')?.state === 'deleted');
    expect(sync.state('default', 'a')).toMatchObject({ attempts: 3, experimentId: '7' });
    await sync.shutdown();
  });

  it('gives up on queued work at shutdown after the drain timeout and says so', async () => {
    const mlflow = fakeMlflow(() => retryable('down'));
    const sync = mlflowSync({ api: mlflow.api, config: { ...config, concurrency: 1 }, logger });
    sync.enqueueUploads([upload('a'), upload('b')]);
    await sync.shutdown();
    expect(sync.state('default', 'a')).toMatchObject({ state: 'failed' });
    expect(sync.state('default', 'b')).toMatchObject({
      state: 'failed',
      reason: 'llmp stopped before this was sent to MLflow',
    });
    sync.enqueueUploads([upload('c')]);
    expect(sync.state('default', 'c')).toMatchObject({ state: 'failed', reason: 'llmp is stopping' });
  });
});
