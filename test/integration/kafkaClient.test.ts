import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { kafkajsClients, platformaticClients, platformaticProducer } from '@llmp/kafka';
import {
  Admin,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { Kafka, type Kafka as KafkaClient, logLevel, Partitioners } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { kafkaBroker } from '../support/kafkaBroker.ts';

// Evidence for the Kafka client choice against a Kafka 4.x broker (KIP-896 removed the old
// protocol versions): idempotent produce with acks=all, and a consumer group with manual
// commits that a new member resumes from. The run's broker when the globalSetup provides one,
// else one of this suite's own.
const provided = inject('kafkaBrokers');
const broker = provided ? undefined : await kafkaBroker();
const brokers = provided ? provided.split(',') : (broker?.brokers ?? []);
afterAll(() => broker?.stop());

const values = ['m0', 'm1', 'm2', 'm3', 'm4'];

describe.skipIf(brokers.length === 0)('kafkajs against a Kafka 4 broker', () => {
  it('produces idempotently with acks=-1; a new group member resumes from the manually committed offset', async () => {
    const logs: string[] = [];
    onTestFailed(() => console.log(logs.join('\n')));
    const kafka = new Kafka({
      clientId: 'llmp-kafka-client-test',
      brokers,
      logLevel: logLevel.INFO,
      logCreator: () => (entry) => {
        logs.push(`${entry.label} ${entry.namespace} ${JSON.stringify(entry.log)}`);
      },
    });
    const topic = `llmp-kafkajs-${randomUUID()}`;
    const groupId = `${topic}-group`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(
        true,
      );

      const producer = kafka.producer({
        idempotent: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      const sent = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
      await producer.disconnect();
      expect(sent).toMatchObject([{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' }]);

      const first = await consumeThenCommit(kafka, { topic, groupId, count: 3 });
      expect(first.map((message) => message.value)).toEqual(['m0', 'm1', 'm2']);
      // The batch was written by an idempotent producer: it carries a producer id and sequence.
      expect(first[0]!.producerId).not.toBe('-1');
      expect(first[0]!.firstSequence).toBe(0);
      expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
        { topic, partitions: [{ partition: 0, offset: '3', metadata: null }] },
      ]);

      const second = await consumeThenCommit(kafka, { topic, groupId, count: 2 });
      expect(second.map((message) => [message.offset, message.value])).toEqual([
        ['3', 'm3'],
        ['4', 'm4'],
      ]);
    } finally {
      await admin.disconnect();
    }
  });
});

interface ConsumedMessage {
  offset: string;
  value: string;
  producerId: string | undefined;
  firstSequence: number | undefined;
}

/** Joins the group with autoCommit off, takes `count` messages, commits past the last one, leaves. */
async function consumeThenCommit(
  kafka: KafkaClient,
  { topic, groupId, count }: { topic: string; groupId: string; count: number },
): Promise<ConsumedMessage[]> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const taken: ConsumedMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (taken.length === count) return;
            // kafkajs decodes the record batch header but leaves it out of its types.
            const { batchContext } = message as {
              batchContext?: { producerId: string; firstSequence: number };
            };
            taken.push({
              offset: message.offset,
              value: message.value!.toString(),
              producerId: batchContext?.producerId,
              firstSequence: batchContext?.firstSequence,
            });
            if (taken.length < count) return;
            const offset = (BigInt(message.offset) + 1n).toString();
            await consumer.commitOffsets([{ topic, partition, offset }]);
            resolve();
          },
        })
        .catch(reject);
    });
    return taken;
  } finally {
    await consumer.disconnect();
  }
}

describe.skipIf(brokers.length === 0)('@platformatic/kafka against a Kafka 4 broker', () => {
  it('produces idempotently with acks=all; a new group member resumes from the manually committed offset', async () => {
    const bootstrapBrokers = brokers;
    const clientId = 'llmp-kafka-client-test';
    const topic = `llmp-platformatic-${randomUUID()}`;
    const groupId = `${topic}-group`;
    const admin = new Admin({ clientId, bootstrapBrokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });

      const producer = new Producer({
        clientId,
        bootstrapBrokers,
        idempotent: true,
        acks: ProduceAcks.ALL,
        serializers: stringSerializers,
      });
      const sent = await producer.send({ messages: values.map((value) => ({ topic, value })) });
      expect(producer.producerId).toBeGreaterThanOrEqual(0n);
      await producer.close();
      expect(sent.offsets).toEqual([{ topic, partition: 0, offset: 0n }]);

      const consumeThenCommit = async (count: number) => {
        const consumer = new Consumer({
          clientId,
          bootstrapBrokers,
          groupId,
          autocommit: false,
          deserializers: stringDeserializers,
        });
        const taken: Array<[bigint, string]> = [];
        try {
          const stream = await consumer.consume({
            topics: [topic],
            autocommit: false,
            mode: MessagesStreamModes.COMMITTED,
            fallbackMode: MessagesStreamFallbackModes.EARLIEST,
          });
          for await (const message of stream) {
            taken.push([message.offset, message.value]);
            if (taken.length === count) {
              // Commits offset + 1 of this message for the group.
              await message.commit();
              break;
            }
          }
        } finally {
          await consumer.close(true);
        }
        return taken;
      };

      expect(await consumeThenCommit(3)).toEqual([
        [0n, 'm0'],
        [1n, 'm1'],
        [2n, 'm2'],
      ]);
      const [committed] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
      expect(committed?.topics[0]?.partitions[0]?.committedOffset).toBe(3n);
      expect(await consumeThenCommit(2)).toEqual([
        [3n, 'm3'],
        [4n, 'm4'],
      ]);
    } finally {
      await admin.close();
    }
  });
});

describe.skipIf(brokers.length === 0)("llmp's @platformatic/kafka producer", () => {
  it('writes idempotently with the key, value and headers, each key on the partition kafkajs would choose', async () => {
    const kafka = new Kafka({ clientId: 'llmp-kafka-client-test', brokers, logLevel: logLevel.NOTHING });
    const ours = `llmp-platformatic-producer-${randomUUID()}`;
    const reference = `${ours}-kafkajs`;
    const admin = kafka.admin();
    await admin.connect();
    const keys = Array.from({ length: 40 }, (_, i) => `${i.toString(16).padStart(2, '0')}${'ab'.repeat(15)}`);
    try {
      await admin.createTopics({
        topics: [ours, reference].map((topic) => ({ topic, numPartitions: 6 })),
        waitForLeaders: true,
      });
      const producer = platformaticProducer({ brokers, clientId: 'llmp-kafka-client-test' });
      await producer.send(
        ours,
        keys.map((key, i) => ({
          key,
          value: Uint8Array.of(i, 0, 255),
          headers: { 'llmp-project': `p${i}` },
        })),
      );
      await producer.close();
      const kafkajsProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await kafkajsProducer.connect();
      await kafkajsProducer.send({ topic: reference, messages: keys.map((key) => ({ key, value: key })) });
      await kafkajsProducer.disconnect();

      const [written, expected] = await Promise.all([
        readAll(kafka, ours, keys.length),
        readAll(kafka, reference, keys.length),
      ]);
      const partitionOf = (records: typeof written) =>
        Object.fromEntries(records.map((r) => [r.key, r.partition]));
      expect(partitionOf(written)).toEqual(partitionOf(expected));
      expect(new Set(written.map((r) => r.partition)).size).toBeGreaterThan(1);
      for (const record of written) {
        const i = keys.indexOf(record.key);
        expect([...record.value]).toEqual([i, 0, 255]);
        expect(record.headers).toEqual({ 'llmp-project': `p${i}` });
        expect(record.producerId).not.toBe('-1');
      }
    } finally {
      await admin.disconnect();
    }
  });
  it('spreads concurrent sends over its connections, each send whole, in order, under one producer id', async () => {
    const kafka = new Kafka({ clientId: 'llmp-kafka-client-test', brokers, logLevel: logLevel.NOTHING });
    const topic = `llmp-platformatic-connections-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      // One partition: the offsets show each send's records in a row.
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const producer = platformaticProducer({ brokers, clientId: 'llmp-kafka-client-test', connections: 3 });
      const sends = 9;
      const perSend = 5;
      await Promise.all(
        Array.from({ length: sends }, (_, s) =>
          producer.send(
            topic,
            Array.from({ length: perSend }, (_, i) => ({
              key: `k${s}`,
              value: Uint8Array.of(s, i),
              headers: {},
            })),
          ),
        ),
      );
      await producer.close();
      const written = await readAll(kafka, topic, sends * perSend);
      expect(written).toHaveLength(sends * perSend);
      for (let at = 0; at < written.length; at += perSend) {
        const run = written.slice(at, at + perSend);
        const send = run[0]!.value[0];
        expect(run.map((r) => [...r.value])).toEqual(Array.from({ length: perSend }, (_, i) => [send, i]));
        expect(new Set(run.map((r) => r.producerId)).size).toBe(1);
      }
      expect(new Set(written.map((r) => r.value[0])).size).toBe(sends);
      // Nine sends at once on three connections: more than one idempotent producer wrote them.
      const producerIds = new Set(written.map((r) => r.producerId));
      expect(producerIds.size).toBeGreaterThan(1);
      expect(producerIds.size).toBeLessThanOrEqual(3);
      expect(producerIds.has('-1')).toBe(false);
    } finally {
      await admin.disconnect();
    }
  });
  it('makes a second producer only when the first has a send in flight: sends one after another share one', async () => {
    const kafka = new Kafka({ clientId: 'llmp-kafka-client-test', brokers, logLevel: logLevel.NOTHING });
    const topic = `llmp-platformatic-one-at-a-time-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      // @platformatic/kafka announces every client it makes on this channel.
      const made: unknown[] = [];
      const count = (message: unknown) => {
        if ((message as { type?: string }).type === 'producer') made.push(message);
      };
      diagnostics.subscribe('plt:kafka:instances', count);
      const producer = platformaticProducer({ brokers, clientId: 'llmp-kafka-client-test', connections: 3 });
      for (let s = 0; s < 4; s++)
        await producer.send(topic, [{ key: `k${s}`, value: Uint8Array.of(s), headers: {} }]);
      await producer.close();
      const written = await readAll(kafka, topic, 4);
      expect(written.map((r) => r.value[0])).toEqual([0, 1, 2, 3]);
      expect(new Set(written.map((r) => r.producerId)).size).toBe(1);
      diagnostics.unsubscribe('plt:kafka:instances', count);
      expect(made).toHaveLength(1);
    } finally {
      await admin.disconnect();
    }
  });
});

describe.skipIf(brokers.length === 0)("llmp's @platformatic/kafka topic admin", () => {
  it('makes missing topics with the configured partitions once, also when two roles make them at the same time', async () => {
    const logger = pino({ level: 'silent' });
    const topics = [`llmp-platformatic-topics-${randomUUID()}`, `llmp-platformatic-topics-${randomUUID()}`];
    const options = {
      brokers,
      clientId: 'llmp-kafka-client-test',
      logger,
      topicPartitions: 3,
      topicReplicationFactor: 1,
    };
    let consumersMade = 0;
    const clients = (name: string) =>
      platformaticClients({
        ...options,
        clientId: name,
        consumers: async () => {
          consumersMade++;
          return kafkajsClients(options);
        },
      });
    // Two gateways starting together: one creates, the other is told TOPIC_ALREADY_EXISTS.
    await Promise.all([clients('a').ensureTopics(topics), clients('b').ensureTopics(topics)]);
    await clients('c').ensureTopics(topics);
    expect(consumersMade).toBe(0);
    const admin = new Admin({ clientId: 'llmp-kafka-client-test', bootstrapBrokers: brokers });
    try {
      const metadata = await admin.metadata({ topics });
      for (const topic of topics) {
        const partitions = metadata.topics.get(topic)!.partitions;
        expect(partitions).toHaveLength(3);
        expect(partitions.every((p) => p.leader >= 0 && p.replicas.length === 1)).toBe(true);
      }
    } finally {
      await admin.close();
    }
    // Records written right after ensureTopics land and are read back by a kafkajs consumer.
    const producer = await clients('d').producer();
    await producer.send(topics[0]!, [{ key: 'k', value: Uint8Array.of(7), headers: {} }]);
    await producer.close();
    const kafka = new Kafka({ clientId: 'llmp-kafka-client-test', brokers, logLevel: logLevel.NOTHING });
    expect((await readAll(kafka, topics[0]!, 1)).map((r) => [...r.value])).toEqual([[7]]);
  });
});

describe.skipIf(brokers.length === 0)("the ingester's consumer", () => {
  // Each partition's batch holds a batch and an insert in memory: the bound must hold.
  it.each([1, 2])('handles at most %i partitions at once (partitionsAtOnce)', async (partitionsAtOnce) => {
    const topic = `llmp-partitions-at-once-${partitionsAtOnce}-${randomUUID()}`;
    const clients = kafkajsClients({
      brokers,
      clientId: 'llmp-kafka-client-test',
      logger: pino({ level: 'silent' }),
      topicPartitions: 4,
      topicReplicationFactor: 1,
    });
    await clients.ensureTopics([topic]);
    const producer = await clients.producer();
    await producer.send(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ key: `key-${i}`, value: Uint8Array.of(i), headers: {} })),
    );
    await producer.close();
    const consumer = await clients.consumer({ groupId: `${topic}-group`, topic, partitionsAtOnce });
    let running = 0;
    let most = 0;
    const seen = new Set<number>();
    let records = 0;
    const all = new Promise<void>((resolve) => {
      void consumer.run(async (batch, control) => {
        running++;
        most = Math.max(most, running);
        seen.add(batch.partition);
        await new Promise((r) => setTimeout(r, 300));
        records += batch.records.length;
        const last = batch.records.at(-1);
        if (last) await control.commit((BigInt(last.offset) + 1n).toString());
        running--;
        if (records >= 40) resolve();
      });
    });
    try {
      await all;
    } finally {
      await consumer.close();
    }
    expect(seen.size).toBeGreaterThan(1);
    expect(most).toBe(partitionsAtOnce);
  });
});

/** Every record of a topic, read from the beginning by a plain kafkajs consumer. */
async function readAll(kafka: KafkaClient, topic: string, count: number) {
  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  const records: Array<{
    key: string;
    partition: number;
    value: Buffer;
    headers: Record<string, string>;
    producerId?: string;
  }> = [];
  // A rebalance while the group settles may hand a partition over before its offsets are
  // committed, so a record can come twice (at least once): each (partition, offset) counts once.
  const seen = new Set<string>();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const at = `${partition}:${message.offset}`;
            if (seen.has(at)) return;
            seen.add(at);
            const { batchContext } = message as { batchContext?: { producerId: string } };
            records.push({
              key: message.key!.toString(),
              partition,
              value: message.value!,
              headers: Object.fromEntries(
                Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
              ),
              producerId: batchContext?.producerId,
            });
            if (records.length === count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
