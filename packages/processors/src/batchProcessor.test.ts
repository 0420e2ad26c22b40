import { setTimeout as sleep } from 'node:timers/promises';
import { emptyGenAiFields, genAiOf, type Span, type TraceBatch, traceBatch } from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import {
  type Consumer,
  createLogger,
  ExportError,
  permanent,
  requestIntake,
  retryable,
} from '@llmp/pipeline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { batchProcessorConfig, batchProcessorFactory } from './batchProcessor.ts';

const settings = { id: 'batch', logger: createLogger({ level: 'silent' }) };

let spanCounter = 0;

const span = (name: string): Span =>
  testSpan({ name, spanId: (++spanCounter).toString(16).padStart(16, '0') });

/** A batch of spans with the given names, for one project. */
const batchOf = (projectId: string, ...names: string[]): TraceBatch =>
  traceBatch({ projectId, request: testRequest(names.map(span)) });

const spanNames = (batch: TraceBatch) =>
  batch.request().resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name)));

/**
 * The exporter's stand-in: stores what it receives. While `hold()` is in effect, each export
 * waits until `release()`; `fail` makes the next exports throw.
 */
function memorySink() {
  const stored: Array<{ projectId: string; spanCount: number; names: string[] }> = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const sink = {
    stored,
    exports: 0,
    fail: undefined as unknown,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      open?.();
      gate = undefined;
    },
    async consume(batch: TraceBatch) {
      sink.exports++;
      if (gate) await gate;
      if (sink.fail !== undefined) throw sink.fail;
      stored.push({ projectId: batch.projectId, spanCount: batch.spanCount, names: spanNames(batch) });
    },
  } satisfies Consumer<TraceBatch> & Record<string, unknown>;
  return sink;
}

function create(next: Consumer<TraceBatch>, config: z.input<typeof batchProcessorConfig> = {}) {
  return batchProcessorFactory.create(settings, batchProcessorConfig.parse(config), next);
}

/** Tracks whether a promise has settled, without awaiting it. */
function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

async function rejection(promise: Promise<unknown>): Promise<ExportError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExportError);
    return error as ExportError;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('batchProcessorFactory', () => {
  it('has the Collector-like defaults', () => {
    expect(batchProcessorFactory.type).toBe('batch');
    expect(batchProcessorConfig.parse({})).toEqual({
      sendBatchSize: 8192,
      timeout: 200,
      maxPendingSpans: 200_000,
      exportConcurrency: 1,
      returnWait: 25,
    });
  });

  it('sends a batch as soon as it holds sendBatchSize spans, as one merged request', async () => {
    const sink = memorySink();
    const batch = create(sink, { sendBatchSize: 3, timeout: 60_000 });
    await batch.start();
    const first = batch.consume(batchOf('default', 'a'));
    const second = batch.consume(batchOf('default', 'b', 'c'));
    await Promise.all([first, second]);
    expect(sink.stored).toEqual([{ projectId: 'default', spanCount: 3, names: ['a', 'b', 'c'] }]);
    await batch.shutdown();
  });

  it('sends a smaller batch once its first span has waited `timeout`', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sink = memorySink();
    const batch = create(sink, { sendBatchSize: 100, timeout: '500ms' });
    const done = track(batch.consume(batchOf('default', 'a')));
    await vi.advanceTimersByTimeAsync(300);
    const late = track(batch.consume(batchOf('default', 'b')));
    await vi.advanceTimersByTimeAsync(150);
    expect(sink.stored).toEqual([]);
    expect(done.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(60);
    expect(sink.stored).toEqual([{ projectId: 'default', spanCount: 2, names: ['a', 'b'] }]);
    expect(done).toEqual({ settled: true, error: undefined });
    expect(late).toEqual({ settled: true, error: undefined });
    await batch.shutdown();
  });

  it("resolves callers' promises only once the sink has stored their spans", async () => {
    const sink = memorySink();
    sink.hold();
    const batch = create(sink, { sendBatchSize: 2, timeout: 60_000 });
    const first = track(batch.consume(batchOf('default', 'a')));
    const second = track(batch.consume(batchOf('default', 'b')));
    await sleep(20);
    expect(sink.exports).toBe(1);
    expect(first.settled).toBe(false);
    expect(second.settled).toBe(false);
    sink.release();
    await vi.waitFor(() => expect(second.settled).toBe(true));
    expect(first).toEqual({ settled: true, error: undefined });
    expect(sink.stored).toHaveLength(1);
    await batch.shutdown();
  });

  it('rejects every caller of a batch with the ExportError the sink failed with', async () => {
    const sink = memorySink();
    const failure = permanent('bad rows');
    sink.fail = failure;
    const batch = create(sink, { sendBatchSize: 3, timeout: 60_000 });
    const results = await Promise.allSettled([
      batch.consume(batchOf('default', 'a')),
      batch.consume(batchOf('default', 'b')),
      batch.consume(batchOf('default', 'c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const result of results) expect((result as PromiseRejectedResult).reason).toBe(failure);
    expect(sink.stored).toEqual([]);
    await batch.shutdown();
  });

  it('turns a plain error from the sink into a retryable ExportError', async () => {
    const sink = memorySink();
    sink.fail = new Error('socket hang up');
    const batch = create(sink, { sendBatchSize: 1 });
    const error = await rejection(batch.consume(batchOf('default', 'a')));
    expect(error).toMatchObject({ kind: 'retryable', reason: 'unavailable', message: 'socket hang up' });
    await batch.shutdown();
  });

  it('refuses spans beyond maxPendingSpans with a retryable "exhausted" error, counting exports in flight', async () => {
    const sink = memorySink();
    sink.hold();
    const batch = create(sink, { sendBatchSize: 3, maxPendingSpans: 5, timeout: 60_000 });
    const inFlight = batch.consume(batchOf('default', 'a', 'b', 'c'));
    const buffered = batch.consume(batchOf('default', 'd'));
    const refused = await rejection(batch.consume(batchOf('default', 'e', 'f')));
    expect(refused.kind).toBe('retryable');
    expect(refused.reason).toBe('exhausted');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.message).toContain('4 spans pending');
    // Exactly up to the bound is still accepted.
    const last = batch.consume(batchOf('default', 'e'));
    sink.release();
    await Promise.all([inFlight, buffered, last, batch.shutdown()]);
    expect(sink.stored.flatMap((s) => s.names).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses a batch larger than maxPendingSpans for good (tooLarge), even when nothing is pending', async () => {
    const sink = memorySink();
    const batch = create(sink, { maxPendingSpans: 2 });
    const refused = await rejection(batch.consume(batchOf('default', 'a', 'b', 'c')));
    expect(refused).toMatchObject({ kind: 'permanent', tooLarge: true });
    expect(refused.message).toContain('maxPendingSpans');
    await batch.shutdown();
    expect(sink.exports).toBe(0);
  });

  it('accepts again once pending spans were exported', async () => {
    const sink = memorySink();
    const batch = create(sink, { sendBatchSize: 2, maxPendingSpans: 2 });
    await batch.consume(batchOf('default', 'a', 'b'));
    await batch.consume(batchOf('default', 'c', 'd'));
    expect(sink.stored).toHaveLength(2);
    await batch.shutdown();
  });

  it('on shutdown flushes what is buffered, then refuses intake with a retryable error', async () => {
    const sink = memorySink();
    const batch = create(sink, { sendBatchSize: 100, timeout: 60_000 });
    await batch.start();
    const pending = track(batch.consume(batchOf('default', 'a', 'b')));
    await batch.shutdown();
    expect(sink.stored).toEqual([{ projectId: 'default', spanCount: 2, names: ['a', 'b'] }]);
    await vi.waitFor(() => expect(pending).toEqual({ settled: true, error: undefined }));
    const refused = await rejection(batch.consume(batchOf('default', 'c')));
    expect(refused).toMatchObject({ kind: 'retryable', reason: 'unavailable' });
    expect(sink.stored).toHaveLength(1);
  });

  it('waits on shutdown for exports already in flight', async () => {
    const sink = memorySink();
    sink.hold();
    const batch = create(sink, { sendBatchSize: 1 });
    const accepted = batch.consume(batchOf('default', 'a'));
    const shutdown = track(batch.shutdown());
    await sleep(20);
    expect(shutdown.settled).toBe(false);
    sink.release();
    await accepted;
    await vi.waitFor(() => expect(shutdown).toEqual({ settled: true, error: undefined }));
    expect(sink.stored).toHaveLength(1);
  });

  it('shuts down once, and safely without start', async () => {
    const batch = create(memorySink());
    const first = batch.shutdown();
    expect(batch.shutdown()).toBe(first);
    await expect(first).resolves.toBeUndefined();
  });

  it('never merges batches of different projects', async () => {
    const sink = memorySink();
    const batch = create(sink, { sendBatchSize: 4, timeout: 60_000 });
    await Promise.all([
      batch.consume(batchOf('alpha', 'a1')),
      batch.consume(batchOf('beta', 'b1')),
      batch.consume(batchOf('alpha', 'a2')),
      batch.consume(batchOf('beta', 'b2')),
    ]);
    const byProject = Object.fromEntries(sink.stored.map((s) => [s.projectId, s]));
    expect(sink.stored).toHaveLength(2);
    expect(byProject.alpha).toEqual({ projectId: 'alpha', spanCount: 2, names: ['a1', 'a2'] });
    expect(byProject.beta).toEqual({ projectId: 'beta', spanCount: 2, names: ['b1', 'b2'] });
    await batch.shutdown();
  });

  it('resolves a batch without spans at once, without exporting it', async () => {
    const sink = memorySink();
    const batch = create(sink, { sendBatchSize: 1 });
    await batch.consume(traceBatch({ projectId: 'default', request: { resourceSpans: [] } }));
    expect(sink.exports).toBe(0);
    await batch.shutdown();
  });

  it('runs at most exportConcurrency exports at once', async () => {
    const sink = memorySink();
    sink.hold();
    const batch = create(sink, { sendBatchSize: 1, exportConcurrency: 2 });
    const all = [1, 2, 3].map((i) => batch.consume(batchOf('default', `s${i}`)));
    await sleep(20);
    expect(sink.exports).toBe(2);
    sink.release();
    await Promise.all(all);
    expect(sink.exports).toBe(3);
    await batch.shutdown();
  });

  it('refuses a retryable error from the sink to callers as retryable', async () => {
    const sink = memorySink();
    const failure = retryable('too many parts', { reason: 'exhausted', retryAfterMs: 2000 });
    sink.fail = failure;
    const batch = create(sink, { sendBatchSize: 1 });
    expect(await rejection(batch.consume(batchOf('default', 'a')))).toBe(failure);
    await batch.shutdown();
  });
});

describe('batch processor behind a pipeline intake', () => {
  /** A pipeline of the batch alone: the intake counts requests from entry until they settle. */
  function intakePipeline(sink: Consumer<TraceBatch>) {
    const intake = requestIntake();
    const batch = batchProcessorFactory.create(
      { ...settings, intake },
      batchProcessorConfig.parse({ timeout: 60_000 }),
      sink,
    );
    return { intake, batch, entry: intake.entry(batch) };
  }

  it('sends a request at once when it is the only one the pipeline holds, without waiting for timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sink = memorySink();
    const { batch, entry } = intakePipeline(sink);
    await batch.start();
    const only = track(entry.consume(batchOf('default', 'a')));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.stored).toEqual([{ projectId: 'default', spanCount: 1, names: ['a'] }]);
    expect(only.settled).toBe(true);
    await batch.shutdown();
  });

  it('waits while another request the pipeline holds has not reached the batch yet', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sink = memorySink();
    const { intake, batch, entry } = intakePipeline(sink);
    await batch.start();
    // The second request is inside the same pipeline (e.g. in an earlier processor), not batched yet.
    let arrive: () => void = () => undefined;
    const earlierStage: Consumer<TraceBatch> = {
      consume: (b) => new Promise<void>((resolve) => (arrive = resolve)).then(() => batch.consume(b)),
    };
    const second = track(intake.entry(earlierStage).consume(batchOf('default', 'b')));
    const first = track(entry.consume(batchOf('default', 'a')));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.stored).toEqual([]);
    arrive();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.stored).toEqual([{ projectId: 'default', spanCount: 2, names: ['a', 'b'] }]);
    expect(first.settled && second.settled).toBe(true);
    await batch.shutdown();
  });

  it('on shutdown waits for the running export and exports the requests gathered behind it, then answers them', async () => {
    const sink = memorySink();
    const { batch, entry } = intakePipeline(sink);
    await batch.start();
    sink.hold();
    // Alone in the pipeline, the first request goes out at once; the others gather behind it.
    const first = track(entry.consume(batchOf('default', 'big')));
    await vi.waitFor(() => expect(sink.exports).toBe(1));
    const gathered = [
      track(entry.consume(batchOf('default', 'a'))),
      track(entry.consume(batchOf('default', 'b'))),
    ];
    await sleep(20);
    expect(sink.exports).toBe(1);
    const shutdown = track(batch.shutdown());
    await sleep(20);
    expect(shutdown.settled).toBe(false);
    expect(gathered.map((g) => g.settled)).toEqual([false, false]);
    sink.release();
    await vi.waitFor(() => expect(shutdown).toEqual({ settled: true, error: undefined }));
    expect(sink.stored.map((s) => s.names)).toEqual([['big'], ['a', 'b']]);
    expect([first, ...gathered]).toEqual(Array(3).fill({ settled: true, error: undefined }));
  });
});

describe('batch processor waiting for the requests its last export answered (returnWait)', () => {
  function intakePipeline(sink: Consumer<TraceBatch>, returnWait: number) {
    const intake = requestIntake();
    const batch = batchProcessorFactory.create(
      { ...settings, intake },
      batchProcessorConfig.parse({ timeout: 60_000, returnWait }),
      sink,
    );
    return { batch, entry: intake.entry(batch) };
  }

  /**
   * Two requests answered by one export: `a` goes alone, `b` and `c` gather behind it and go once
   * `a`, answered, has not come back within returnWait.
   */
  async function answerTwoAtOnce(
    sink: ReturnType<typeof memorySink>,
    entry: Consumer<TraceBatch>,
    returnWait: number,
  ) {
    sink.hold();
    const a = track(entry.consume(batchOf('default', 'a')));
    const b = track(entry.consume(batchOf('default', 'b')));
    const c = track(entry.consume(batchOf('default', 'c')));
    await vi.advanceTimersByTimeAsync(0);
    sink.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.settled).toBe(true);
    if (returnWait > 0) {
      expect(sink.stored).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(returnWait);
    }
    expect(sink.stored.map((s) => s.names)).toEqual([['a'], ['b', 'c']]);
    expect(a.settled && b.settled && c.settled).toBe(true);
  }

  it('holds the first request back until the others the last export answered are back, then sends them together', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const sink = memorySink();
    const { batch, entry } = intakePipeline(sink, 25);
    await batch.start();
    await answerTwoAtOnce(sink, entry, 25);
    const d = track(entry.consume(batchOf('default', 'd')));
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.stored).toHaveLength(2);
    expect(d.settled).toBe(false);
    const e = track(entry.consume(batchOf('default', 'e')));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.stored.map((s) => s.names)).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(d.settled && e.settled).toBe(true);
    await batch.shutdown();
  });

  it('sends what came back once returnWait is over when the others do not come', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const sink = memorySink();
    const { batch, entry } = intakePipeline(sink, 25);
    await batch.start();
    await answerTwoAtOnce(sink, entry, 25);
    const d = track(entry.consume(batchOf('default', 'd')));
    await vi.advanceTimersByTimeAsync(24);
    expect(d.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(sink.stored.map((s) => s.names)).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(d.settled).toBe(true);
    // That export answered one request: the next one alone goes at once.
    const e = track(entry.consume(batchOf('default', 'e')));
    await vi.advanceTimersByTimeAsync(0);
    expect(e.settled).toBe(true);
    await batch.shutdown();
  });

  it('does not count the requests that gathered during the export as come back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const sink = memorySink();
    const { batch, entry } = intakePipeline(sink, 25);
    await batch.start();
    sink.hold();
    const a = track(entry.consume(batchOf('default', 'a')));
    const b = track(entry.consume(batchOf('default', 'b')));
    await vi.advanceTimersByTimeAsync(0);
    sink.release();
    await vi.advanceTimersByTimeAsync(5);
    // `a` is answered, `b` gathered meanwhile: the next INSERT waits for `a`'s sender...
    expect(a.settled).toBe(true);
    expect(sink.stored.map((s) => s.names)).toEqual([['a']]);
    // ...whose next request joins `b` instead of waiting behind it.
    const again = track(entry.consume(batchOf('default', 'a2')));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.stored.map((s) => s.names)).toEqual([['a'], ['b', 'a2']]);
    expect(b.settled && again.settled).toBe(true);
    await batch.shutdown();
  });

  it('with returnWait 0 sends the first request back at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const sink = memorySink();
    const { batch, entry } = intakePipeline(sink, 0);
    await batch.start();
    await answerTwoAtOnce(sink, entry, 0);
    const d = track(entry.consume(batchOf('default', 'd')));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.stored.map((s) => s.names)).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(d.settled).toBe(true);
    await batch.shutdown();
  });
});

describe('batch processor with a batch that does not decode', () => {
  it('refuses that batch alone and exports the batches merged with it', async () => {
    const sink = memorySink();
    const processor = create(sink, { sendBatchSize: 3, timeout: 10_000 });
    // A span count from a screening that was wrong: the bytes do not decode (length prefix of 6 bytes).
    const bad = traceBatch({
      projectId: 'p',
      bytes: Uint8Array.of(0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
      spanCount: 1,
    });
    const results = await Promise.allSettled([
      processor.consume(batchOf('p', 'a')),
      processor.consume(bad),
      processor.consume(batchOf('p', 'b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ kind: 'permanent' });
    expect(sink.stored).toEqual([{ projectId: 'p', spanCount: 2, names: ['a', 'b'] }]);
    await processor.shutdown();
  });

  it("keeps each span's GenAI fields with its span when it merges batches", async () => {
    const received: TraceBatch[] = [];
    const processor = create({ consume: async (b) => void received.push(b) }, { sendBatchSize: 4 });
    const [a, b] = [span('a'), span('b')];
    const fields = (model: string) => ({ ...emptyGenAiFields(), requestModel: model });
    const first = traceBatch({
      projectId: 'p',
      request: testRequest([a]),
      meta: { genAi: new Map([[a, fields('m-a')]]) },
    });
    const second = traceBatch({
      projectId: 'p',
      request: testRequest([b]),
      meta: { genAi: new Map([[b, fields('m-b')]]) },
    });
    await Promise.all([
      processor.consume(first),
      processor.consume(second),
      processor.consume(batchOf('p', 'c', 'd')),
    ]);
    expect(received).toHaveLength(1);
    const merged = received[0]!;
    const byName = new Map(
      merged
        .request()
        .resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
        .map((s) => [s.name, s]),
    );
    expect(genAiOf(merged, byName.get('a')!)?.requestModel).toBe('m-a');
    expect(genAiOf(merged, byName.get('b')!)?.requestModel).toBe('m-b');
    expect(genAiOf(merged, byName.get('c')!)).toBeUndefined();
    await processor.shutdown();
  });

  it('sends a batch with a dedup token alone and with its token, so a redelivery dedupes', async () => {
    const received: TraceBatch[] = [];
    const processor = create({ consume: async (b) => void received.push(b) }, { sendBatchSize: 4 });
    const tokened = (token: string, name: string) =>
      traceBatch({ projectId: 'p', request: testRequest([span(name)]), meta: { dedupToken: token } });
    await Promise.all([
      processor.consume(tokened('otlp_spans/0/1-1/p', 'a')),
      processor.consume(tokened('otlp_spans/0/2-2/p', 'b')),
      processor.consume(batchOf('p', 'c', 'd')),
    ]);
    const sent = received.map((b) => ({ token: b.meta.dedupToken, names: spanNames(b) }));
    expect(sent).toEqual([
      { token: 'otlp_spans/0/1-1/p', names: ['a'] },
      { token: 'otlp_spans/0/2-2/p', names: ['b'] },
      { token: undefined, names: ['c', 'd'] },
    ]);
    await processor.shutdown();
  });
});
