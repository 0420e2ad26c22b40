import { Kafka, logLevel } from 'kafkajs';
import { type JavaRecord, javaProducer } from './javaProducer.ts';

/** Every `compression.type` of the Java client. */
export const javaCodecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/**
 * Creates `topic` (one partition, so offsets are known) and writes, with the Apache Kafka Java
 * client, `records(codec)` once per codec, then `last` (zstd): records from a producer that is
 * not ours, in every compression it may choose.
 * @example await produceWithEveryCodec({ brokers, topic, records: (c) => [{ key: c, value }], last: [{ key: 'junk', value: poison }] });
 */
export async function produceWithEveryCodec({
  brokers,
  topic,
  records,
  last = [],
}: {
  brokers: string;
  topic: string;
  records: (codec: (typeof javaCodecs)[number]) => JavaRecord[];
  last?: JavaRecord[];
}): Promise<void> {
  const admin = new Kafka({
    clientId: 'llmp-test-admin',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  for (const codec of javaCodecs)
    await javaProducer({ brokers: brokers.split(','), topic, compression: codec, records: records(codec) });
  if (last.length > 0)
    await javaProducer({ brokers: brokers.split(','), topic, compression: 'zstd', records: last });
}
