import { encodeProtobufRequest, type TraceBatch, type TraceRequest } from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { type Consumer, createLogger, permanent, Registry, retryable } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { dedupToken, pendingMetadata } from './dedupToken.ts';
import { projectHeader } from './kafkaExporter.ts';
import { deadLetterHeaders, kafkaReceiver, kafkaReceiverConfig } from './kafkaReceiver.ts';
import { MemoryKafka } from './memoryKafka.ts';

const settings = { id: 'kafka', logger: createLogger({ level: 'silent' }) };
const config = kafkaReceiverConfig.parse({ retryOnFailure: { initialInterval: 1, maxInterval: 5 } });

const request = (traceByte: string, spans: number): TraceRequest =>
  testRequest(
    Array.from({ length: spans }, (_, i) =>
      testSpan({
        traceId: traceByte.repeat(32),
        spanId: (i + 1).toString(16).padStart(16, '0'),
        name: `s${i}`,
      }),
    ),
  );

/** A store stand-in that keeps rows by deduplication token, as ClickHouse does. */
function sink(behaviour: { fail?: (n: number) => Error | undefined } = {}) {
  const byToken = new Map<string, TraceBatch>();
  let calls = 0;
  const consumer: Consumer<TraceBatch> = {
    async consume(batch) {
      calls++;
      const error = behaviour.fail?.(calls);
      if (error) throw error;
      const token = batch.meta.dedupToken!;
      if (!byToken.has(token)) byToken.set(token, batch);
    },
  };
  return {
    consumer,
    byToken,
    calls: () => calls,
    spans: () => [...byToken.values()].reduce((n, b) => n + b.spanCount, 0),
  };
}

function publish(kafka: MemoryKafka, traces: Array<[string, number, string?]>) {
  for (const [byte, spans, project] of traces) {
    kafka.append('otlp_spans', {
      key: byte.repeat(32),
      value: encodeProtobufRequest(request(byte, spans)),
      headers: project ? { [projectHeader]: project } : {},
    });
  }
}

async function ingest(
  kafka: MemoryKafka,
  store: ReturnType<typeof sink>,
  options: { fetchSize?: number; afterInsert?: () => void } = {},
) {
  const consumer = kafka.consumer('llmp-ingester', 'otlp_spans', { fetchSize: options.fetchSize ?? 1000 });
  const receiver = kafkaReceiver(
    {
      consumer,
      producer: kafka.producer(),
      afterInsert: options.afterInsert,
    },
    settings,
    config,
    store.consumer,
  );
  await receiver.start();
  await consumer.drain();
  return { receiver, consumer };
}

describe('kafka receiver', () => {
  it('inserts every record once with an offset-range token per project, and commits past them', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [
      ['a', 2, 'p1'],
      ['b', 3, 'p1'],
      ['c', 1, 'p2'],
    ]);
    const store = sink();
    await ingest(kafka, store);
    expect(store.spans()).toBe(6);
    expect([...store.byToken.keys()].sort()).toEqual([
      dedupToken('otlp_spans', 0, '0', '2', 'p1'),
      dedupToken('otlp_spans', 0, '0', '2', 'p2'),
    ]);
    expect(kafka.commits.get('llmp-ingester/otlp_spans/0')).toEqual({ offset: '3', metadata: '' });
  });

  it('cuts inserts by the spans the records hold, not by the number of records', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [
      ['a', 5],
      ['b', 5],
      ['c', 5],
      ['d', 5],
    ]);
    const store = sink();
    const consumer = kafka.consumer('llmp-ingester', 'otlp_spans', { fetchSize: 1000 });
    const receiver = kafkaReceiver(
      { consumer, producer: kafka.producer() },
      settings,
      { ...config, maxBatchSpans: 10 },
      store.consumer,
    );
    await receiver.start();
    await consumer.drain();
    expect([...store.byToken.keys()]).toEqual([
      dedupToken('otlp_spans', 0, '0', '1', 'default'),
      dedupToken('otlp_spans', 0, '2', '3', 'default'),
    ]);
    expect(store.spans()).toBe(20);
  });

  it('reports the lag of each partition it consumed, down to 0 once everything is stored', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [
      ['a', 1],
      ['b', 1],
      ['c', 1],
      ['d', 1],
      ['e', 1],
    ]);
    const registry = new Registry();
    const consumer = kafka.consumer('llmp-ingester', 'otlp_spans', { fetchSize: 2 });
    const lags: number[] = [];
    const receiver = kafkaReceiver(
      {
        consumer,
        producer: kafka.producer(),
        afterInsert: () => {
          void registry
            .getSingleMetric('llmp_ingester_lag_records')
            ?.get()
            .then((m) => lags.push(m.values[0]?.value ?? -1));
        },
      },
      { ...settings, registry },
      config,
      sink().consumer,
    );
    await receiver.start();
    await consumer.drain();
    const metric = await registry.getSingleMetric('llmp_ingester_lag_records')!.get();
    expect(metric.values).toEqual([{ labels: { topic: 'otlp_spans', partition: '0' }, value: 0 }]);
    // Read after each insert, before its commit: unset (-1) at first, then 3 and 1 records behind
    // as the fetches of two records advanced.
    expect(lags).toEqual([-1, 3, 1]);
  });

  it('rebuilds the pending range after a crash between insert and commit, so the repeat is deduplicated', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ]);
    const store = sink();
    // First run: fetches two records, inserts them, then "crashes" before committing past them.
    const first = kafka.consumer('llmp-ingester', 'otlp_spans', { fetchSize: 2 });
    const receiver = kafkaReceiver(
      {
        consumer: first,
        producer: kafka.producer(),
        afterInsert: () => first.stop(),
      },
      settings,
      config,
      store.consumer,
    );
    await receiver.start();
    await first.drain().catch(() => undefined);
    // Simulate the commit never happening: what is committed is the intent for 0-1.
    kafka.commits.set('llmp-ingester/otlp_spans/0', { offset: '0', metadata: pendingMetadata('0', '1') });
    expect(store.spans()).toBe(4);
    // Second run fetches more at once: the first insert must still be exactly 0-1.
    await ingest(kafka, store, { fetchSize: 1000 });
    expect(store.spans()).toBe(6);
    expect(store.calls()).toBe(3);
    expect([...store.byToken.keys()]).toEqual([
      dedupToken('otlp_spans', 0, '0', '1', 'default'),
      dedupToken('otlp_spans', 0, '2', '2', 'default'),
    ]);
  });

  it('sends an undecodable record to the dead-letter topic with its bytes and the reason, and goes on', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 1]]);
    const poison = new Uint8Array([0xff, 0xff, 0xff, 0x01]);
    kafka.append('otlp_spans', { key: 'junk', value: poison, headers: { origin: 'test' } });
    publish(kafka, [['b', 1]]);
    const store = sink();
    await ingest(kafka, store);
    expect(store.spans()).toBe(2);
    const dlq = kafka.records('otlp_spans_dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value).toEqual(poison);
    expect(dlq[0]!.headers).toMatchObject({
      origin: 'test',
      [deadLetterHeaders.topic]: 'otlp_spans',
      [deadLetterHeaders.partition]: '0',
      [deadLetterHeaders.offset]: '1',
    });
    expect(dlq[0]!.headers[deadLetterHeaders.reason]).toMatch(/invalid OTLP protobuf/);
    expect(kafka.commits.get('llmp-ingester/otlp_spans/0')!.offset).toBe('3');
  });

  it('retries a retryable store failure without committing, then stores once', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 2]]);
    const store = sink({ fail: (n) => (n <= 3 ? retryable('ClickHouse down') : undefined) });
    await ingest(kafka, store);
    expect(store.calls()).toBe(4);
    expect(store.spans()).toBe(2);
    expect(kafka.commits.get('llmp-ingester/otlp_spans/0')!.offset).toBe('1');
  });

  it('parks records the store refuses permanently in the dead-letter topic', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 2]]);
    const store = sink({ fail: () => permanent('type mismatch') });
    await ingest(kafka, store);
    expect(kafka.records('otlp_spans_dlq')).toHaveLength(1);
    expect(kafka.records('otlp_spans_dlq')[0]!.headers[deadLetterHeaders.reason]).toBe(
      'store refused the spans permanently: type mismatch',
    );
    expect(kafka.commits.get('llmp-ingester/otlp_spans/0')!.offset).toBe('1');
  });

  it('stops retrying, without committing, when the partition is lost', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 1]]);
    const consumer = kafka.consumer('llmp-ingester', 'otlp_spans');
    let calls = 0;
    const receiver = kafkaReceiver({ consumer, producer: kafka.producer() }, settings, config, {
      async consume() {
        calls++;
        if (calls === 2) consumer.stop();
        throw retryable('down');
      },
    });
    await receiver.start();
    await consumer.drain();
    expect(calls).toBe(2);
    expect(kafka.commits.get('llmp-ingester/otlp_spans/0')).toEqual({
      offset: '0',
      metadata: pendingMetadata('0', '0'),
    });
  });
});

describe('kafka receiver, records any producer may write', () => {
  it('dead-letters a batch the client could not decompress once, with its bytes, and goes on', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 1]]);
    const compressed = new Uint8Array([4, 34, 77, 24, 1, 2, 3]);
    const reason = 'record batch of offsets 1-3 could not be decompressed (lz4: bad frame)';
    kafka.append('otlp_spans', { key: null, value: compressed, unreadable: reason });
    kafka.append('otlp_spans', { key: null, value: null, unreadable: reason });
    kafka.append('otlp_spans', { key: null, value: null, unreadable: reason });
    publish(kafka, [['b', 2]]);
    const registry = new Registry();
    const store = sink();
    const consumer = kafka.consumer('llmp-ingester', 'otlp_spans');
    await kafkaReceiver(
      { consumer, producer: kafka.producer() },
      { ...settings, registry },
      config,
      store.consumer,
    ).start();
    await consumer.drain();
    expect(store.spans()).toBe(3);
    const dlq = kafka.records('otlp_spans_dlq');
    expect(
      dlq.map((r) => [r.value, r.headers[deadLetterHeaders.offset], r.headers[deadLetterHeaders.reason]]),
    ).toEqual([[compressed, '1', reason]]);
    expect(kafka.commits.get('llmp-ingester/otlp_spans/0')!.offset).toBe('5');
    const counted = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
    expect(await counted('llmp_ingester_unreadable_records_total')).toEqual([
      { labels: { topic: 'otlp_spans' }, value: 3 },
    ]);
    expect(await counted('llmp_ingester_dead_lettered_records_total')).toEqual([
      { labels: { topic: 'otlp_spans', reason: 'unreadable_batch' }, value: 1 },
    ]);
  });

  it("reads the Collector's otlp_json encoding beside otlp_proto", async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 1]]);
    const json = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'collector-json' } }] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: [
                {
                  traceId: 'b'.repeat(32),
                  spanId: '0000000000000001',
                  name: 'from-json',
                  kind: 2,
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000001000000000',
                },
              ],
            },
          ],
        },
      ],
    };
    kafka.append('otlp_spans', {
      key: 'b'.repeat(32),
      value: new TextEncoder().encode(`\n ${JSON.stringify(json)}`),
      headers: { [projectHeader]: 'p-json' },
    });
    const store = sink();
    await ingest(kafka, store);
    expect(kafka.records('otlp_spans_dlq')).toEqual([]);
    expect(store.spans()).toBe(2);
    const fromJson = [...store.byToken.values()].find((b) => b.projectId === 'p-json')!;
    const span = fromJson.request().resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(span).toMatchObject({ name: 'from-json', traceId: 'b'.repeat(32), spanId: '0000000000000001' });
  });

  it('dead-letters JSON that is not an OTLP request as undecodable', async () => {
    const kafka = new MemoryKafka();
    kafka.append('otlp_spans', { key: null, value: new TextEncoder().encode('{"resourceSpans": 5}') });
    const registry = new Registry();
    const consumer = kafka.consumer('llmp-ingester', 'otlp_spans');
    await kafkaReceiver(
      { consumer, producer: kafka.producer() },
      { ...settings, registry },
      config,
      sink().consumer,
    ).start();
    await consumer.drain();
    expect(kafka.records('otlp_spans_dlq')[0]!.headers[deadLetterHeaders.reason]).toMatch(/resourceSpans/);
    expect(
      (await registry.getSingleMetric('llmp_ingester_dead_lettered_records_total')!.get()).values,
    ).toEqual([{ labels: { topic: 'otlp_spans', reason: 'undecodable' }, value: 1 }]);
  });
});

describe('kafka receiver progress (for /readyz)', () => {
  it('reports a partition whose insert keeps failing, with the reason, until it moves again', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 1]]);
    let down = true;
    const checks: Array<string | undefined> = [];
    const consumer = kafka.consumer('llmp-ingester', 'otlp_spans');
    const receiver = kafkaReceiver(
      { consumer, producer: kafka.producer() },
      settings,
      { ...config, stallTimeout: 0 },
      {
        async consume() {
          checks.push(
            await receiver.checkProgress().then(
              () => undefined,
              (error: Error) => error.message,
            ),
          );
          if (checks.length === 3) down = false;
          if (down) throw retryable('ClickHouse unavailable');
        },
      },
    );
    await receiver.start();
    await consumer.drain();
    expect(checks[0]).toBeUndefined();
    expect(checks[1]).toMatch(
      /^partition otlp_spans\/0 has made no progress for \d+ s: insert failed: ClickHouse unavailable$/,
    );
    expect(checks[2]).toBe(checks[1]?.replace(/\d+ s/, `${/(\d+) s/.exec(checks[2] ?? '')?.[1]} s`));
    await expect(receiver.checkProgress()).resolves.toBeUndefined();
    expect(kafka.commits.get('llmp-ingester/otlp_spans/0')!.offset).toBe('1');
  });

  it('does not report a failure younger than stallTimeout', async () => {
    const kafka = new MemoryKafka();
    publish(kafka, [['a', 1]]);
    let calls = 0;
    let during: string | undefined = 'unchecked';
    const consumer = kafka.consumer('llmp-ingester', 'otlp_spans');
    const receiver = kafkaReceiver(
      { consumer, producer: kafka.producer() },
      settings,
      { ...config, stallTimeout: 60_000 },
      {
        async consume() {
          calls++;
          if (calls === 2)
            during = await receiver.checkProgress().then(
              () => undefined,
              (error: Error) => error.message,
            );
          if (calls < 3) throw retryable('ClickHouse unavailable');
        },
      },
    );
    await receiver.start();
    await consumer.drain();
    expect(during).toBeUndefined();
  });

  it("reports the client's own failure to consume", async () => {
    const kafka = new MemoryKafka();
    const consumer = Object.assign(kafka.consumer('llmp-ingester', 'otlp_spans'), {
      problem: () => 'Failed to find group coordinator',
    });
    const receiver = kafkaReceiver(
      { consumer, producer: kafka.producer() },
      settings,
      config,
      sink().consumer,
    );
    await expect(receiver.checkProgress()).rejects.toThrow(
      'the Kafka consumer cannot consume: Failed to find group coordinator',
    );
  });
});
