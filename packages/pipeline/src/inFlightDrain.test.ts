import { describe, expect, it } from 'vitest';
import { inFlightDrain } from './inFlightDrain.ts';

/** A send that resolves when told to. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('inFlightDrain', () => {
  it('waits for sends in flight at drain and refuses new ones with a retryable error', async () => {
    const inFlight = inFlightDrain({ name: 'test exporter' });
    const send = deferred();
    const running = inFlight.run(() => send.promise);
    expect(inFlight.count).toBe(1);
    let drained: boolean | undefined;
    const draining = inFlight.drain().then((done) => (drained = done));
    await expect(inFlight.run(async () => undefined)).rejects.toMatchObject({
      kind: 'retryable',
      message: 'test exporter is shut down',
    });
    await Promise.resolve();
    expect(drained).toBeUndefined();
    send.resolve();
    await running;
    await draining;
    expect(drained).toBe(true);
  });

  it('gives up waiting at the deadline', async () => {
    const inFlight = inFlightDrain({ name: 'test exporter' });
    void inFlight.run(() => new Promise<void>(() => undefined));
    expect(await inFlight.drain(20)).toBe(false);
    expect(inFlight.count).toBe(1);
  });

  it('refuses a send that would pass maxWeight with a retryable exhausted error, unless nothing is in flight', async () => {
    const inFlight = inFlightDrain({ name: 'Kafka exporter', maxWeight: 10, unit: 'bytes' });
    const first = deferred();
    const big = inFlight.run(() => first.promise, 25);
    expect(inFlight.weight).toBe(25);
    await expect(inFlight.run(async () => undefined, 1)).rejects.toMatchObject({
      kind: 'retryable',
      reason: 'exhausted',
      message: 'Kafka exporter is full (25 bytes in flight, at most 10)',
    });
    first.resolve();
    await big;
    expect(inFlight.weight).toBe(0);
    await inFlight.run(async () => undefined, 5);
  });
});
