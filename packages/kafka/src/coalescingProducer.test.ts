import { describe, expect, it } from 'vitest';
import { coalescingProducer } from './coalescingProducer.ts';
import type { KafkaProducer, OutgoingRecord } from './kafkaClient.ts';

interface Call {
  topic: string;
  keys: string[];
  compression: string | undefined;
  settle: (error?: Error) => void;
}

/** A producer whose sends stay in flight until the test settles them. */
function heldProducer(partitionOf?: (key: string) => number): KafkaProducer & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    send(topic, records, options) {
      return new Promise<void>((resolve, reject) => {
        calls.push({
          topic,
          keys: records.map((r) => r.key),
          compression: options?.compression,
          settle: (error) => (error ? reject(error) : resolve()),
        });
      });
    },
    close: async () => undefined,
    ...(partitionOf ? { partitionOf: (_topic: string, key: string) => partitionOf(key) } : {}),
  };
}

const record = (key: string, bytes = 10): OutgoingRecord => ({
  key,
  value: new Uint8Array(bytes),
  headers: { 'llmp-project': 'p' },
});

/** Lets settled promises run their callbacks. */
const ticks = () => new Promise((resolve) => setImmediate(resolve));

function watch(promise: Promise<void>) {
  const state: { settled: 'no' | 'ok' | 'failed'; error?: unknown } = { settled: 'no' };
  promise.then(
    () => {
      state.settled = 'ok';
    },
    (error: unknown) => {
      state.settled = 'failed';
      state.error = error;
    },
  );
  return state;
}

describe('coalescingProducer', () => {
  it('sends at once when nothing is in flight, and merges what arrives meanwhile into one send', async () => {
    const inner = heldProducer();
    const producer = coalescingProducer(inner);
    const first = watch(producer.send('t', [record('a')]));
    expect(inner.calls.map((c) => c.keys)).toEqual([['a']]);
    const rest = [
      watch(producer.send('t', [record('b'), record('c')])),
      watch(producer.send('t', [record('d')])),
      watch(producer.send('t', [record('e')])),
    ];
    expect(inner.calls).toHaveLength(1);
    inner.calls[0]!.settle();
    await ticks();
    expect(first.settled).toBe('ok');
    expect(inner.calls.map((c) => c.keys)).toEqual([['a'], ['b', 'c', 'd', 'e']]);
    // Nobody is answered before Kafka acknowledged the send carrying its records.
    expect(rest.map((r) => r.settled)).toEqual(['no', 'no', 'no']);
    inner.calls[1]!.settle();
    await ticks();
    expect(rest.map((r) => r.settled)).toEqual(['ok', 'ok', 'ok']);
  });

  it('fails every merged caller with the error of the merged send', async () => {
    const inner = heldProducer();
    const producer = coalescingProducer(inner);
    const first = watch(producer.send('t', [record('a')]));
    const merged = [watch(producer.send('t', [record('b')])), watch(producer.send('t', [record('c')]))];
    inner.calls[0]!.settle();
    await ticks();
    const refused = new Error('NOT_ENOUGH_REPLICAS');
    inner.calls[1]!.settle(refused);
    await ticks();
    expect(first.settled).toBe('ok');
    expect(merged.map((m) => [m.settled, m.error])).toEqual([
      ['failed', refused],
      ['failed', refused],
    ]);
  });

  it('keeps a merged send within maxRequestBytes, never splitting a caller', async () => {
    const inner = heldProducer();
    const producer = coalescingProducer(inner, { maxRequestBytes: 500, maxBatchBytes: 500 });
    watch(producer.send('t', [record('a', 100)]));
    watch(producer.send('t', [record('b', 250)]));
    watch(producer.send('t', [record('c', 250)]));
    watch(producer.send('t', [record('d', 900)]));
    inner.calls[0]!.settle();
    await ticks();
    expect(inner.calls.map((c) => c.keys)).toEqual([['a'], ['b']]);
    inner.calls[1]!.settle();
    await ticks();
    expect(inner.calls.map((c) => c.keys)).toEqual([['a'], ['b'], ['c']]);
    inner.calls[2]!.settle();
    await ticks();
    // Alone over the cap: sent alone, as without merging.
    expect(inner.calls.map((c) => c.keys)).toEqual([['a'], ['b'], ['c'], ['d']]);
  });

  it('caps bytes per partition, merging past the batch cap only records of other partitions', async () => {
    const inner = heldProducer((key) => (key.startsWith('x') ? 0 : 1));
    const producer = coalescingProducer(inner, { maxBatchBytes: 300, maxRequestBytes: 10_000 });
    watch(producer.send('t', [record('first')]));
    watch(producer.send('t', [record('x1', 200)]));
    watch(producer.send('t', [record('y1', 200)]));
    watch(producer.send('t', [record('x2', 200)]));
    inner.calls[0]!.settle();
    await ticks();
    // x1 + y1 go together (one batch each); x2 would put partition 0 over 300 bytes.
    expect(inner.calls.map((c) => c.keys)).toEqual([['first'], ['x1', 'y1']]);
    inner.calls[1]!.settle();
    await ticks();
    expect(inner.calls.map((c) => c.keys)).toEqual([['first'], ['x1', 'y1'], ['x2']]);
  });

  it('merges only sends of the same topic and codec, in arrival order', async () => {
    const inner = heldProducer();
    const producer = coalescingProducer(inner);
    watch(producer.send('t', [record('a')]));
    watch(producer.send('t', [record('b')]));
    watch(producer.send('logs', [record('c')]));
    watch(producer.send('logs', [record('d')], { compression: 'zstd' }));
    for (let i = 0; i < 4; i++) {
      inner.calls.at(-1)!.settle();
      await ticks();
    }
    expect(inner.calls.map((c) => [c.topic, c.keys, c.compression])).toEqual([
      ['t', ['a'], 'none'],
      ['t', ['b'], 'none'],
      ['logs', ['c'], 'none'],
      ['logs', ['d'], 'zstd'],
    ]);
  });

  it('drops a queued send whose caller stopped waiting, and never sends its records', async () => {
    const inner = heldProducer();
    const producer = coalescingProducer(inner);
    watch(producer.send('t', [record('a')]));
    const gaveUp = new AbortController();
    const late = watch(producer.send('t', [record('b')], { signal: gaveUp.signal }));
    const kept = watch(producer.send('t', [record('c')]));
    gaveUp.abort(new Error('timed out'));
    await ticks();
    expect(late.settled).toBe('failed');
    inner.calls[0]!.settle();
    await ticks();
    inner.calls[1]!.settle();
    await ticks();
    expect(inner.calls.map((c) => c.keys)).toEqual([['a'], ['c']]);
    expect(kept.settled).toBe('ok');
  });

  it('hands on several merged sends at a time when sendsInFlight allows it', async () => {
    const inner = heldProducer();
    const producer = coalescingProducer(inner, { sendsInFlight: 2 });
    watch(producer.send('t', [record('a')]));
    watch(producer.send('t', [record('b')]));
    watch(producer.send('t', [record('c')]));
    watch(producer.send('t', [record('d')]));
    expect(inner.calls.map((c) => c.keys)).toEqual([['a'], ['b']]);
    inner.calls[0]!.settle();
    await ticks();
    expect(inner.calls.map((c) => c.keys)).toEqual([['a'], ['b'], ['c', 'd']]);
  });
});
