import { randomBytes, randomUUID } from 'node:crypto';
import {
  compressionCodecs,
  type IncomingRecord,
  kafkaExporter,
  kafkaExporterConfig,
  kafkajsClients,
  platformaticProducer,
  registerKafkajsCodecs,
  UnreadableBatchError,
} from '@llmp/kafka';
import { decodeProtobufRequest, traceBatch } from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { javaConsumer, javaProducer } from '../support/kafka/javaProducer.ts';
import { kafkaBroker } from '../support/kafkaBroker.ts';

// Issue 16, item 9: any Kafka producer's records are readable. The Apache Kafka Java client
// (not ours) writes batches with each codec; the ingester's consumer must read every one.
const provided = inject('kafkaBrokers');
const broker = provided ? undefined : await kafkaBroker();
const brokers = provided ? provided.split(',') : (broker?.brokers ?? []);
afterAll(() => broker?.stop());

const logger = pino({ level: 'silent' });

function clients() {
  return kafkajsClients({
    brokers,
    clientId: 'llmp-codec-test',
    logger,
    topicPartitions: 1,
    topicReplicationFactor: 1,
  });
}

/** Reads `count` records of a one-partition topic with the ingester's consumer, committing as it goes. */
async function consume(topic: string, count: number, beforeRun?: () => void): Promise<IncomingRecord[]> {
  const consumer = await clients().consumer({ groupId: `${topic}-group`, topic });
  // Making clients registers llmp's codecs (process-wide in kafkajs): a test's stand-in goes after.
  beforeRun?.();
  const records: IncomingRecord[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${count} records of ${topic}`)),
        60_000,
      );
      consumer
        .run(async (batch, control) => {
          records.push(...batch.records);
          const last = batch.records.at(-1);
          if (last) await control.commit((BigInt(last.offset) + 1n).toString());
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        })
        .catch(reject);
    });
  } finally {
    await consumer.close();
  }
  return records;
}

const sample = (i: number) => ({
  key: `trace-${i}`,
  // Compressible and not: a repeated text and random bytes.
  value: Buffer.concat([Buffer.from(`span ${i} `.repeat(40)), randomBytes(64)]),
  headers: { 'llmp-project': `p${i % 3}` },
});

describe.skipIf(brokers.length === 0)('reading every Kafka compression codec', () => {
  it.each(compressionCodecs)(
    'reads records the Java client wrote with compression.type=%s',
    async (codec) => {
      const topic = `llmp-codec-java-${codec}-${randomUUID()}`;
      await clients().ensureTopics([topic]);
      const sent = Array.from({ length: 30 }, (_, i) => sample(i));
      const acks = await javaProducer({ brokers, topic, compression: codec, records: sent });
      expect(acks.map((a) => a.offset)).toEqual(sent.map((_, i) => String(i)));
      const read = await consume(topic, sent.length);
      expect(read.map((r) => r.unreadable)).toEqual(sent.map(() => undefined));
      expect(
        read.map((r) => ({ offset: r.offset, key: r.key, value: Buffer.from(r.value!), headers: r.headers })),
      ).toEqual(sent.map((s, i) => ({ offset: String(i), ...s })));
    },
  );

  it.each(compressionCodecs)("reads records llmp's producer wrote with compression %s", async (codec) => {
    const topic = `llmp-codec-ours-${codec}-${randomUUID()}`;
    await clients().ensureTopics([topic]);
    const sent = Array.from({ length: 30 }, (_, i) => sample(i));
    const producer = platformaticProducer({ brokers, clientId: 'llmp-codec-test' });
    await producer.send(topic, sent, { compression: codec });
    await producer.close();
    const read = await consume(topic, sent.length);
    expect(read.map((r) => ({ key: r.key, value: Buffer.from(r.value!), headers: r.headers }))).toEqual(sent);
  });

  it.each(compressionCodecs)(
    "the Java client reads what llmp's Kafka exporter wrote with exporters.kafka.compression=%s",
    async (codec) => {
      const topic = `llmp-codec-exporter-${codec}-${randomUUID()}`;
      await clients().ensureTopics([topic]);
      const producer = platformaticProducer({ brokers, clientId: 'llmp-codec-test' });
      const exporter = kafkaExporter(
        producer,
        { id: 'kafka', logger },
        kafkaExporterConfig.parse({ topic, compression: codec }),
      );
      const traceIds = Array.from({ length: 20 }, () => randomBytes(16).toString('hex'));
      const spans = traceIds.map((traceId) => testSpan({ traceId, spanId: randomBytes(8).toString('hex') }));
      await exporter.consume(traceBatch({ projectId: 'p1', request: testRequest(spans) }));
      await exporter.shutdown();
      const read = await javaConsumer({ brokers, topic, count: traceIds.length });
      expect(read.map((r) => r.key).sort()).toEqual([...traceIds].sort());
      for (const record of read) {
        expect(record.headers).toEqual({ 'llmp-project': 'p1' });
        expect(decodeProtobufRequest(record.value).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId).toBe(
          record.key,
        );
      }
    },
  );

  it('hands a batch it cannot decompress on as records marked unreadable, and reads on past it', async () => {
    const topic = `llmp-codec-unreadable-${randomUUID()}`;
    const kafka = clients();
    await kafka.ensureTopics([topic]);
    const lz4 = Array.from({ length: 5 }, (_, i) => sample(i));
    const plain = Array.from({ length: 3 }, (_, i) => sample(10 + i));
    await javaProducer({ brokers, topic, compression: 'lz4', records: lz4 });
    await javaProducer({ brokers, topic, compression: 'none', records: plain });
    try {
      // A client without an LZ4 codec, as kafkajs alone is.
      const read = await consume(topic, lz4.length + plain.length, () =>
        registerKafkajsCodecs({
          decompress: async (codec) => {
            throw new UnreadableBatchError(codec, 'no codec in this test');
          },
        }),
      );
      // The Java client may split the five records into more than one batch (its linger is a
      // time): each record names the batch it was in, and the batches cover offsets 0-4 in order.
      const batchOf =
        /^record batch of offsets (\d+)-(\d+) could not be decompressed \(lz4: no codec in this test\)$/;
      const ranges = read.slice(0, lz4.length).map((r) => {
        const match = batchOf.exec(r.unreadable ?? '');
        expect(match, `offset ${r.offset}: ${r.unreadable}`).not.toBeNull();
        return [Number(match![1]), Number(match![2])] as const;
      });
      ranges.forEach(([first, last], i) => {
        expect(first <= i && i <= last).toBe(true);
        if (i > 0 && first === i) expect(ranges[i - 1]![1]).toBe(i - 1);
      });
      expect(ranges[0]![0]).toBe(0);
      expect(ranges[lz4.length - 1]![1]).toBe(lz4.length - 1);
      expect(read.slice(lz4.length).map((r) => r.unreadable)).toEqual(plain.map(() => undefined));
      // The first placeholder of each batch holds the batch's compressed bytes (an LZ4 frame), the others none.
      read.slice(0, lz4.length).forEach((r, i) => {
        if (ranges[i]![0] === i) expect(Buffer.from(r.value!).readUInt32LE(0)).toBe(0x184d2204);
        else expect(r.value).toBeNull();
      });
      expect(read.slice(lz4.length).map((r) => Buffer.from(r.value!))).toEqual(plain.map((p) => p.value));
    } finally {
      registerKafkajsCodecs();
    }
  });
});
