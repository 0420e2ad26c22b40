import { randomBytes, randomUUID } from 'node:crypto';
import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
} from '@llmp/clickhouse';
import {
  type KafkaReceiver,
  kafkajsClients,
  kafkaReceiver,
  kafkaReceiverConfig,
  platformaticProducer,
} from '@llmp/kafka';
import { encodeProtobufRequest, type TraceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import type { Consumer } from '@llmp/pipeline';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaBroker } from '../support/kafkaBroker.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Issue 16, item 9: a rebalance in the middle of a batch loses and doubles nothing. Two
// ingester receivers share a consumer group over a real broker and store into the real
// embedded ClickHouse; one joins while the other's insert is under way, then the first leaves
// in the middle of another insert. Every span must be stored exactly once.
const provided = inject('kafkaBrokers');
const broker = provided ? undefined : await kafkaBroker();
const brokers = provided ? provided.split(',') : (broker?.brokers ?? []);
const dir = tempDir('kafka-rebalance');
let store: ClickHouseStore;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  // Merges would collapse duplicate rows (ReplacingMergeTree) and hide them from the count.
  await store.client.command({ query: `SYSTEM STOP MERGES ${store.database}.spans` });
});
afterAll(async () => {
  await store?.close();
  dir.remove();
  await broker?.stop();
});

const logger = pino({ level: 'silent' });
const traces = 1000;
const spansPerTrace = 2;

let progress = (): unknown => undefined;
const until = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (${JSON.stringify(progress())})`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function rows(): Promise<{ rows: number; spans: number }> {
  const result = await store.client.query({
    query: `SELECT count() AS rows, uniqExact(TraceId, SpanId) AS spans FROM ${store.database}.spans WHERE ServiceName = {service:String}`,
    query_params: { service: 'rebalance' },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ rows: string; spans: string }>();
  return { rows: Number(row!.rows), spans: Number(row!.spans) };
}

describe.skipIf(brokers.length === 0)('a consumer group rebalancing mid-insert', () => {
  it('stores every span exactly once while a member joins and another leaves during inserts', async () => {
    const topic = `llmp-rebalance-${randomUUID()}`;
    const groupId = `${topic}-group`;
    const clients = kafkajsClients({
      brokers,
      clientId: 'llmp-rebalance-test',
      logger,
      topicPartitions: 4,
      topicReplicationFactor: 1,
    });
    await clients.ensureTopics([topic, `${topic}-dlq`]);
    const producer = platformaticProducer({ brokers, clientId: 'llmp-rebalance-test' });
    const resource = [stringAttr('service.name', 'rebalance')];
    await producer.send(
      topic,
      Array.from({ length: traces }, () => {
        const traceId = randomBytes(16).toString('hex');
        const spans = Array.from({ length: spansPerTrace }, () =>
          testSpan({ traceId, spanId: randomBytes(8).toString('hex') }),
        );
        return { key: traceId, value: encodeProtobufRequest(testRequest(spans, { resource })), headers: {} };
      }),
    );
    await producer.close();

    const exporter = clickhouseExporter(
      store,
      { id: 'clickhouse', logger },
      clickhouseExporterConfig.parse({}),
    );
    // Small inserts, so that both members insert many times; a short session for a quick handover.
    const config = kafkaReceiverConfig.parse({
      topic,
      groupId,
      deadLetterTopic: `${topic}-dlq`,
      maxBatchSpans: 40,
      retryOnFailure: { initialInterval: 50, maxInterval: 500 },
      sessionTimeout: 6000,
    });
    const tokens: Record<string, string[]> = { a: [], b: [] };
    const pause: Record<string, (() => Promise<void>) | undefined> = {};
    progress = () => tokens;
    const member = async (name: string): Promise<KafkaReceiver> => {
      const next: Consumer<TraceBatch> = {
        async consume(batch) {
          tokens[name]!.push(batch.meta.dedupToken!);
          await pause[name]?.();
          // Slow inserts: there is still work left when the group changes.
          await new Promise((r) => setTimeout(r, 150));
          await exporter.consume(batch);
        },
      };
      const receiver = kafkaReceiver(
        {
          consumer: await clients.consumer({ groupId, topic, sessionTimeoutMs: config.sessionTimeout }),
          producer: await clients.producer(),
        },
        { id: `kafka-${name}`, logger },
        config,
        next,
      );
      await receiver.start();
      return receiver;
    };

    // A's first insert waits until B has asked to join the group.
    let releaseA: (() => void) | undefined;
    const aHeld = new Promise<void>((resolve) => {
      pause.a = () =>
        new Promise<void>((release) => {
          pause.a = undefined;
          releaseA = release;
          resolve();
        });
    });
    const a = await member('a');
    await aHeld;
    // B's start resolves once it joined, which waits for A to rejoin: do not wait for it here.
    const joining = member('b');
    await new Promise((r) => setTimeout(r, 2000));
    releaseA!();
    const b = await joining;
    await until('both members to insert', () => tokens.a!.length >= 2 && tokens.b!.length >= 1);

    // A leaves while one of its inserts is under way.
    let leaving: Promise<void> | undefined;
    pause.a = async () => {
      pause.a = undefined;
      leaving = a.shutdown();
      await new Promise((r) => setTimeout(r, 300));
    };
    try {
      await until('A to leave mid-insert', () => leaving !== undefined);
      await leaving;
      await until('every span to be stored', async () => (await rows()).spans >= traces * spansPerTrace);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
    // Exactly once: as many rows as spans, and all of them.
    expect(await rows()).toEqual({ rows: traces * spansPerTrace, spans: traces * spansPerTrace });
    // The inserts' offset ranges: one range is inserted again only whole (same token, dropped
    // by the store), never partly overlapping another.
    const ranges = [...new Set([...tokens.a!, ...tokens.b!])].map((token) => {
      const [, partition, range] = /\/(\d+)\/(\d+-\d+)\//.exec(token)!;
      const [first, last] = range!.split('-').map(Number) as [number, number];
      return { partition: Number(partition), first, last };
    });
    for (const r of ranges) {
      const overlapping = ranges.filter(
        (o) => o !== r && o.partition === r.partition && o.first <= r.last && r.first <= o.last,
      );
      expect(overlapping).toEqual([]);
    }
    expect(tokens.a!.length).toBeGreaterThan(0);
    expect(tokens.b!.length).toBeGreaterThan(0);
  });
});
