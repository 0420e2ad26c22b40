import { decodeProtobufRequest, type Span, type TraceRequest } from '@llmp/otlp';
import { createLogger, permanent, Registry, retryable } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { memorySyncStateTable } from './memorySyncStateTable.ts';
import type { MlflowApi } from './mlflowClient.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { mlflowSync } from './mlflowSync.ts';
import { syncStateLog } from './syncStateLog.ts';
import { batch, span, str } from './testBatches.ts';
import { type TraceUpload, traceUploads } from './traceUploads.ts';

const logger = createLogger({ level: 'silent' });
const config = mlflowExporterConfig.parse({
  trackingUri: 'http://mlflow:5000',
  retryOnFailure: { initialInterval: 5, maxInterval: 20, randomizationFactor: 0 },
  drainTimeout: 200,
  sendingQueue: { queueSize: 3, numConsumers: 2 },
});

/** The test config with other queue or retry settings. */
const tuned = ({
  concurrency = config.sendingQueue.numConsumers,
  queueSize = config.sendingQueue.queueSize,
  retryInitial = config.retryOnFailure.initialInterval,
  ...rest
}: {
  concurrency?: number;
  queueSize?: number;
  retryInitial?: number;
  maxSpansPerUpload?: number;
}) => ({
  ...config,
  ...rest,
  sendingQueue: { ...config.sendingQueue, numConsumers: concurrency, queueSize },
  retryOnFailure: { ...config.retryOnFailure, initialInterval: retryInitial },
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
  /** Span ids of each trace id, per request MLflow took. */
  const requests: Array<Map<string, string[]>> = [];
  const deletes: string[] = [];
  const traces = new Map<string, string>();
  let gate: Promise<void> | undefined;
  const api: MlflowApi = {
    async experimentId() {
      return '7';
    },
    async exportTraces(experimentId, body) {
      await gate;
      const error = answer('export');
      if (error) throw error;
      exports.push(experimentId);
      const spans = new Map<string, string[]>();
      for (const rs of decodeProtobufRequest(body).resourceSpans) {
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) spans.set(s.traceId, [...(spans.get(s.traceId) ?? []), s.spanId]);
        }
      }
      requests.push(spans);
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
    requests,
    /** How many requests MLflow took with spans of each trace. */
    sendsPerTrace() {
      const counts = new Map<string, number>();
      for (const r of requests) for (const id of r.keys()) counts.set(id, (counts.get(id) ?? 0) + 1);
      return counts;
    },
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

  it('sends a waiting trace to its job’s experiment when the spans naming the job join it later', async () => {
    const mlflow = fakeMlflow();
    const byName = { ...mlflow.api, experimentId: async (name: string) => (name === 'jobs' ? '9' : '7') };
    const release = mlflow.hold();
    const sync = mlflowSync({ api: byName, config: tuned({ concurrency: 1 }), logger });
    // 'a' takes the only worker; the children of 'b' wait, then its root with the job joins them.
    sync.enqueueUploads([upload('a'), upload('b')]);
    sync.enqueueUploads([{ ...upload('b'), experiment: 'jobs', jobId: 'job-1' }]);
    release();
    await until(() => sync.stats().uploaded === 2);
    expect(mlflow.exports).toEqual(['7', '9']);
    expect(sync.recent('default', 'b')).toMatchObject({ state: 'uploaded', experimentId: '9' });
    await sync.shutdown();
  });

  it('without a store to upload from, bounds a waiting upload: later spans past maxSpansPerUpload are dropped and the trace ends failed', async () => {
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const registry = new Registry();
    const store = fakeStore();
    const sync = mlflowSync({
      api: mlflow.api,
      config: tuned({ concurrency: 1, maxSpansPerUpload: 2 }),
      logger,
      registry,
    });
    sync.enqueueUploads([...store.add(hex(1), 1), ...store.add(hex(2), 2)]);
    // Trace 2 waits with 2 spans: one more would pass the bound.
    sync.enqueueUploads(store.add(hex(2), 1));
    expect(sync.stats()).toMatchObject({ dropped: 1, deferred: 0, queued: 1 });
    release();
    await until(() => sync.stats().uploaded === 1 && sync.stats().failed === 1);
    expect(sync.recent('default', hex(2))).toMatchObject({
      state: 'failed',
      reason: 'uploaded without spans that came while the MLflow upload queue was full',
    });
    expect(mlflow.requests.at(-1)!.get(hex(2))).toHaveLength(2);
    const counted = (await registry.getSingleMetric('llmp_mlflow_upload_overflow_traces_total')!.get())
      .values;
    expect(counted).toEqual([{ labels: { fate: 'dropped' }, value: 1 }]);
    await sync.shutdown();
  });

  it('deletes a trace after its upload in flight landed, and drops a waiting upload', async () => {
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const sync = mlflowSync({ api: mlflow.api, config: tuned({ concurrency: 1 }), logger });
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
    const sync = mlflowSync({ api: mlflow.api, config: tuned({ retryInitial: 60_000 }), logger });
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
    const sync = mlflowSync({ api: mlflow.api, config: tuned({ concurrency: 1 }), logger });
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

const hex = (n: number, width = 32) => n.toString(16).padStart(width, '0');

/** The spans the store holds, per trace id: what the exporter is handed after they were stored. */
function fakeStore() {
  const traces = new Map<string, Span[]>();
  const reads: string[] = [];
  return {
    reads,
    /** Stores `count` more spans of the trace (the first is its root) and returns their uploads. */
    add(traceId: string, count: number): TraceUpload[] {
      const spans = traces.get(traceId) ?? [];
      const added: Span[] = [];
      for (let i = 0; i < count; i++) {
        const n = spans.length + 1;
        added.push(span(traceId, hex(n, 16), n === 1 ? '' : hex(1, 16)));
        spans.push(added.at(-1)!);
      }
      traces.set(traceId, spans);
      return traceUploads(batch(added), config.experiments);
    },
    async storedTrace(_projectId: string, traceId: string): Promise<TraceRequest | undefined> {
      reads.push(traceId);
      const spans = traces.get(traceId);
      return spans ? batch([...spans]).request() : undefined;
    },
  };
}

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
    await before.start();
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
    // A restart takes more than a millisecond: the next run's stamps come after the last run's
    // (the shutdown now ends as soon as its workers do, so within the same millisecond here).
    await new Promise((r) => setTimeout(r, 5));
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
    await after.start();
    await until(() => after.stats().uploaded === 2 && after.stats().deleted === 1);
    expect(read.sort()).toEqual(['default/a', 'default/b']);
    expect(second.deletes).toEqual(['7:tr-c']);
    expect(after.stats().resumed).toBe(3);
    expect(await after.state('default', 'a')).toMatchObject({ state: 'uploaded', experimentId: '7' });
    await after.shutdown();
    expect(await table.pending({ operations: ['upload', 'delete'], before: '9999', limit: 10 })).toEqual([]);
  });

  it('sends a trace the last run left pending whole, even when new spans of it come before the take-over reaches it', async () => {
    const table = memorySyncStateTable();
    const traceId = 'ab'.repeat(16);
    const earlier = syncStateLog({ table, maxTracked: 10, logger, now: () => 1_000 });
    earlier.set('default', traceId, { state: 'pending', operation: 'upload', attempts: 1 });
    await earlier.close();
    const mlflow = fakeMlflow();
    const stored = batch([span(traceId, '1'.repeat(16), ''), span(traceId, '2'.repeat(16), '1'.repeat(16))]);
    const sync = mlflowSync({
      api: mlflow.api,
      config,
      logger,
      states: durable(table),
      storedTrace: async () => stored.request(),
    });
    await sync.start();
    // The second span arrives in this run; the first was stored by the last one.
    sync.enqueueUploads(
      traceUploads(batch([span(traceId, '2'.repeat(16), '1'.repeat(16))]), config.experiments),
    );
    await until(() => sync.recent('default', traceId)?.state === 'uploaded');
    const sent = new Set(mlflow.requests.flatMap((r) => r.get(traceId) ?? []));
    expect([...sent].sort()).toEqual(['1'.repeat(16), '2'.repeat(16)]);
    expect(sync.stats()).toMatchObject({ failed: 0, deferred: 0 });
    await sync.shutdown();
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
    await sync.start();
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
    await sync.start();
    await until(() => sync.recent('default', 'gone')?.state === 'failed');
    expect(sync.recent('default', 'gone')?.reason).toBe('the trace is no longer in the store');
    await sync.shutdown();
  });

  it('marks a pending upload failed, counted and logged, when the store refuses to read its trace whole (too large)', async () => {
    const table = memorySyncStateTable();
    const earlier = syncStateLog({ table, maxTracked: 10, logger, now: () => 1_000 });
    earlier.set('default', 'huge', { state: 'pending', operation: 'upload', attempts: 1 });
    await earlier.close();
    const registry = new Registry();
    let reads = 0;
    const sync = mlflowSync({
      api: fakeMlflow().api,
      config,
      logger,
      states: durable(table),
      registry,
      storedTrace: async () => {
        reads++;
        throw permanent('trace huge has more than 10000 spans: too large to read whole', { tooLarge: true });
      },
    });
    await sync.start();
    await until(() => sync.recent('default', 'huge')?.state === 'failed');
    expect(sync.recent('default', 'huge')?.reason).toContain('more than 10000 spans');
    expect(reads).toBe(1);
    expect(await registry.metrics()).toMatch(/^llmp_mlflow_stored_traces_refused_total 1$/m);
    await sync.shutdown();
  });

  it('defers traces that find the queue full and uploads each from the store once MLflow is back: none failed, none twice', async () => {
    const table = memorySyncStateTable();
    let down = true;
    const mlflow = fakeMlflow((call) => (call === 'export' && down ? retryable('down') : undefined));
    const store = fakeStore();
    const registry = new Registry();
    const sync = mlflowSync({
      api: mlflow.api,
      config: tuned({ queueSize: 2, concurrency: 1 }),
      logger,
      states: durable(table),
      storedTrace: store.storedTrace,
      registry,
    });
    await sync.start();
    const ids = Array.from({ length: 10 }, (_, i) => hex(i + 1));
    for (const id of ids) sync.enqueueUploads(store.add(id, 1));
    // One on its way, two waiting, seven left to the store.
    expect(sync.stats()).toMatchObject({ running: 1, queued: 2, deferred: 7, dropped: 0 });
    expect(sync.recent('default', ids[9]!)).toMatchObject({
      state: 'pending',
      reason: 'waiting for room in the MLflow upload queue (uploaded from the store)',
    });
    // More spans of a deferred trace wait in the store with the others.
    sync.enqueueUploads(store.add(ids[9]!, 2));
    expect(sync.stats()).toMatchObject({ queued: 2, deferred: 7 });
    await until(() => (sync.recent('default', ids[0]!)?.attempts ?? 0) >= 3);
    down = false;
    await until(() => sync.stats().uploaded === 10);
    expect(sync.stats()).toMatchObject({ failed: 0, dropped: 0, deferred: 7 });
    expect([...mlflow.sendsPerTrace()].sort()).toEqual(ids.map((id) => [id, 1]));
    // The deferred trace went whole, its three spans in one request.
    expect(mlflow.requests.find((r) => r.has(ids[9]!))!.get(ids[9]!)).toHaveLength(3);
    // Only the deferred traces were read back.
    expect(store.reads.sort()).toEqual(ids.slice(3));
    const counted = (await registry.getSingleMetric('llmp_mlflow_upload_overflow_traces_total')!.get())
      .values;
    expect(counted).toEqual([{ labels: { fate: 'deferred' }, value: 7 }]);
    await sync.flushStates();
    expect(await table.pending({ operations: ['upload'], before: '9999', limit: 100 })).toEqual([]);
    await sync.shutdown();
  });

  it('defers a waiting upload that would pass maxSpansPerUpload, and sends the trace whole from the store', async () => {
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const store = fakeStore();
    const sync = mlflowSync({
      api: mlflow.api,
      config: tuned({ concurrency: 1, maxSpansPerUpload: 3 }),
      logger,
      states: durable(memorySyncStateTable()),
      storedTrace: store.storedTrace,
    });
    sync.enqueueUploads(store.add(hex(1), 1));
    sync.enqueueUploads(store.add(hex(2), 2));
    sync.enqueueUploads(store.add(hex(2), 1));
    expect(sync.stats()).toMatchObject({ queued: 1, deferred: 0 });
    // A fourth span would pass the bound: the waiting upload gives its place up to the store.
    sync.enqueueUploads(store.add(hex(2), 1));
    expect(sync.stats()).toMatchObject({ queued: 0, deferred: 1 });
    sync.enqueueUploads(store.add(hex(2), 1));
    release();
    await until(() => sync.stats().uploaded === 2);
    expect([...mlflow.sendsPerTrace()].sort()).toEqual([
      [hex(1), 1],
      [hex(2), 1],
    ]);
    expect(mlflow.requests.find((r) => r.has(hex(2)))!.get(hex(2))).toHaveLength(5);
    await sync.shutdown();
  });

  it('sends a trace again whole when spans of it found no room while its upload was on the way', async () => {
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const store = fakeStore();
    const sync = mlflowSync({
      api: mlflow.api,
      config: tuned({ concurrency: 1, queueSize: 1 }),
      logger,
      states: durable(memorySyncStateTable()),
      storedTrace: store.storedTrace,
    });
    sync.enqueueUploads(store.add(hex(1), 1));
    sync.enqueueUploads(store.add(hex(2), 1));
    // Trace 1 is on its way, trace 2 fills the queue: trace 1's new span waits in the store.
    sync.enqueueUploads(store.add(hex(1), 1));
    expect(sync.stats()).toMatchObject({ deferred: 1, queued: 1 });
    release();
    await until(() => sync.stats().uploaded === 2);
    await until(() => mlflow.requests.length === 3);
    // The first upload of trace 1 lacked its second span: it ended pending, not uploaded...
    expect(mlflow.requests[0]!.get(hex(1))).toEqual([hex(1, 16)]);
    // ...and the trace went again whole.
    expect(mlflow.requests[2]!.get(hex(1))).toEqual([hex(1, 16), hex(2, 16)]);
    expect(sync.recent('default', hex(1))).toMatchObject({ state: 'uploaded' });
    await sync.shutdown();
  });

  it('reads a deferred trace again when spans of it came while it was read from the store', async () => {
    const mlflow = fakeMlflow();
    const release = mlflow.hold();
    const store = fakeStore();
    let releaseRead!: () => void;
    const firstRead = new Promise<void>((r) => (releaseRead = r));
    const sync = mlflowSync({
      api: mlflow.api,
      config: tuned({ concurrency: 1, queueSize: 1 }),
      logger,
      states: durable(memorySyncStateTable()),
      storedTrace: async (projectId, traceId) => {
        // The first read answers what the store held before the late span came.
        const request = await store.storedTrace(projectId, traceId);
        if (store.reads.length === 1) await firstRead;
        return request;
      },
    });
    sync.enqueueUploads([...store.add(hex(1), 1), ...store.add(hex(2), 1), ...store.add(hex(3), 1)]);
    expect(sync.stats()).toMatchObject({ deferred: 1 });
    release();
    await until(() => store.reads.length === 1);
    sync.enqueueUploads(store.add(hex(3), 1));
    releaseRead();
    await until(() => sync.stats().uploaded === 3);
    expect(store.reads).toEqual([hex(3), hex(3)]);
    expect(mlflow.sendsPerTrace().get(hex(3))).toBe(1);
    expect(mlflow.requests.find((r) => r.has(hex(3)))!.get(hex(3))).toHaveLength(2);
    await sync.shutdown();
  });
});

describe('refreshTraces (GenAI event records stored after their spans)', () => {
  const traceId = 'f'.repeat(32);
  const stored = () =>
    batch([span(traceId, '1'.repeat(16), '', [str('gen_ai.operation.name', 'chat')])]).request();

  it('sends an uploaded trace again whole from the store, with the messages of its records', async () => {
    const mlflow = fakeMlflow();
    const reads: string[] = [];
    const sent: TraceRequest[] = [];
    const api: MlflowApi = {
      ...mlflow.api,
      async exportTraces(experimentId, body) {
        sent.push(decodeProtobufRequest(body));
        await mlflow.api.exportTraces(experimentId, body);
      },
    };
    let records = new Map<string, Record<string, string>>();
    const sync = mlflowSync({
      api,
      config,
      logger,
      storedTrace: async (_p, id) => {
        reads.push(id);
        return stored();
      },
      eventMessages: async () => records,
    });
    // Not seen yet: its spans will get the records when they are sent; nothing is read.
    await sync.refreshTraces('default', [traceId]);
    expect(reads).toEqual([]);
    sync.enqueueUploads(
      traceUploads(batch(stored().resourceSpans[0]!.scopeSpans[0]!.spans), config.experiments),
    );
    await until(() => sync.recent('default', traceId)?.state === 'uploaded');
    records = new Map([['1'.repeat(16), { 'gen_ai.input.messages': '[{"role":"user"}]' }]]);
    await sync.refreshTraces('default', [traceId]);
    expect(reads).toEqual([traceId]);
    await until(() => sent.length === 2);
    const attributes = (r: TraceRequest) =>
      r.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.map((a) => a.key);
    expect(attributes(sent[0]!)).not.toContain('gen_ai.input.messages');
    expect(attributes(sent[1]!)).toContain('gen_ai.input.messages');
    await until(() => sync.recent('default', traceId)?.state === 'uploaded');
    await sync.shutdown();
  });
});
