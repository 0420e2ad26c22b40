import { describe, expect, it } from 'vitest';
import { ExportError } from '../exportError.ts';
import { statusFor } from '../statusFor.ts';
import { failingConsumer } from './failingConsumer.ts';
import { nopHost, nopSettings } from './nopSettings.ts';
import { sinkConsumer } from './sinkConsumer.ts';

describe('pipeline/testing', () => {
  it('failingConsumer fails N times with the given kind, then keeps the data', async () => {
    const next = failingConsumer<string>({
      kind: 'retryable',
      reason: 'exhausted',
      times: 2,
      retryAfterMs: 500,
    });
    const first = await next.consume('a').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ExportError);
    expect(statusFor(first as ExportError)).toMatchObject({ grpc: 8, http: 429, retryAfterMs: 500 });
    await expect(next.consume('b')).rejects.toBeInstanceOf(ExportError);
    await next.consume('c');
    expect([next.failures(), next.sink.received]).toEqual([2, ['c']]);
  });

  it('failingConsumer fails always without times; a permanent one can be too large', async () => {
    const next = failingConsumer<string>({ kind: 'permanent', tooLarge: true });
    for (const item of ['a', 'b', 'c']) {
      await expect(next.consume(item)).rejects.toMatchObject({ kind: 'permanent', tooLarge: true });
    }
    expect(next.sink.received).toEqual([]);
  });

  it('sinkConsumer keeps, fails with failWith, and holds calls until released', async () => {
    const sink = sinkConsumer<number>();
    await sink.consume(1);
    sink.failWith = new Error('down');
    await expect(sink.consume(2)).rejects.toThrow('down');
    sink.failWith = undefined;
    sink.hold();
    let done = false;
    const waiting = sink.consume(3).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    sink.release();
    await waiting;
    expect([sink.received, sink.calls()]).toEqual([[1, 3], 3]);
  });

  it('nopSettings and nopHost give a silent logger, a private registry and no resources', async () => {
    const settings = nopSettings('batch', { host: nopHost() });
    expect(settings.id).toBe('batch');
    expect(settings.logger.level).toBe('silent');
    expect(settings.registry).not.toBe(nopSettings().registry);
    expect(await settings.host!.find({ name: 'clickhouse store' })).toBeUndefined();
    await expect(settings.host!.ready()).resolves.toBeUndefined();
  });
});
