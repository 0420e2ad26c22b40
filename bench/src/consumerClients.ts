import { randomBytes, randomUUID } from 'node:crypto';
import { type CompressionCodec, kafkajsClients, platformaticProducer } from '@llmp/kafka';
import { createLogger } from '@llmp/pipeline';
import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';

const logger = createLogger({ level: 'silent' });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Drains `count` records of `topic` in a fresh group; wall seconds and this process's CPU seconds. */
async function timed(drain: () => Promise<void>): Promise<{ seconds: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await drain();
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** The ingester's consumer: kafkajs through llmp's adapter, committing after each partition batch. */
function kafkajsDrain(brokers: string[], topic: string, count: number) {
  return async () => {
    const consumer = await kafkajsClients({ brokers, clientId: 'bench', logger }).consumer({
      groupId: `bench-${randomUUID()}`,
      topic,
    });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run(async (batch, control) => {
          seen += batch.records.length;
          const last = batch.records.at(-1);
          if (last) await control.commit((BigInt(last.offset) + 1n).toString());
          if (seen >= count) resolve();
        })
        .catch(reject);
    });
    await consumer.close();
  };
}

/** @platformatic/kafka's consumer stream, committing every 500 messages and at the end. */
function platformaticDrain(brokers: string[], topic: string, count: number) {
  return async () => {
    const consumer = new Consumer({
      clientId: 'bench',
      bootstrapBrokers: brokers,
      groupId: `bench-${randomUUID()}`,
      autocommit: false,
      maxBytes: 8 * 1024 ** 2,
    });
    const stream = await consumer.consume({
      topics: [topic],
      autocommit: false,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    });
    let seen = 0;
    for await (const message of stream) {
      seen++;
      if (seen % 500 === 0 || seen >= count) await message.commit();
      if (seen >= count) break;
    }
    await consumer.close(true);
  };
}

/**
 * `kafka-consumers` (only when named): the consumer clients alone, no decode or insert. Writes
 * `records` records of ~1.5 KiB (half compressible) to a 4-partition topic per codec, then
 * drains them A B A B with kafkajs (llmp's adapter, with its snappy/LZ4/zstd codecs) and with
 * @platformatic/kafka; records/s and CPU-seconds per million records, medians of the rounds.
 * @example for (const row of await consumerClientsScenario({ records: 100_000, rounds: 2 })) report(row);
 */
export async function consumerClientsScenario({
  records = 100_000,
  rounds = 2,
  codecs = ['none', 'lz4'] as CompressionCodec[],
}: {
  records?: number;
  rounds?: number;
  codecs?: CompressionCodec[];
} = {}): Promise<Array<Record<string, unknown>>> {
  const broker = await kafkaBroker();
  if (!broker) throw new Error('no Kafka broker');
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const codec of codecs) {
      const topic = `bench-consumers-${codec}-${randomUUID()}`;
      await kafkajsClients({
        brokers: broker.brokers,
        clientId: 'bench',
        logger,
        topicPartitions: 4,
        topicReplicationFactor: 1,
      }).ensureTopics([topic]);
      const producer = platformaticProducer({ brokers: broker.brokers, clientId: 'bench' });
      for (let sent = 0; sent < records; sent += 1000) {
        await producer.send(
          topic,
          Array.from({ length: 1000 }, (_, i) => ({
            key: randomBytes(16).toString('hex'),
            value: Buffer.concat([Buffer.from(`gen_ai.prompt ${sent + i} `.repeat(40)), randomBytes(700)]),
            headers: { 'llmp-project': 'default' },
          })),
          { compression: codec },
        );
      }
      await producer.close();
      const runs: Record<string, Array<{ seconds: number; cpuSeconds: number }>> = {
        kafkajs: [],
        platformatic: [],
      };
      for (let round = 0; round < rounds; round++) {
        runs.kafkajs!.push(await timed(kafkajsDrain(broker.brokers, topic, records)));
        runs.platformatic!.push(await timed(platformaticDrain(broker.brokers, topic, records)));
      }
      for (const [client, list] of Object.entries(runs)) {
        rows.push({
          scenario: 'kafka-consumers',
          client,
          codec,
          records,
          recordsPerSecond: list.map((r) => Math.round(records / r.seconds)),
          cpuSecondsPerMillion: list.map((r) => Number(((r.cpuSeconds / records) * 1e6).toFixed(1))),
          medianRecordsPerSecond: Math.round(median(list.map((r) => records / r.seconds))),
          medianCpuSecondsPerMillion: Number(
            ((median(list.map((r) => r.cpuSeconds)) / records) * 1e6).toFixed(1),
          ),
        });
      }
    }
  } finally {
    await broker.stop();
  }
  return rows;
}
