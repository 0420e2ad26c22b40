import type { Producer } from '@platformatic/kafka';
import { kafkaAccessError } from './kafkaAccessError.ts';
import type { KafkaProducer } from './kafkaClient.ts';
import { keyPartition, murmur2 } from './murmur2.ts';
import { type PlatformaticClientOptions, platformaticBaseOptions } from './platformaticOptions.ts';

export type PlatformaticProducerOptions = PlatformaticClientOptions;

/**
 * An idempotent acks=all producer over @platformatic/kafka. Keys are partitioned with the Java
 * client's murmur2 (as kafkajs' DefaultPartitioner does), so a trace keeps its partition
 * whichever client wrote it.
 * @example const producer = platformaticProducer({ brokers: ['localhost:9092'], clientId: 'llmp' });
 */
export function platformaticProducer(options: PlatformaticProducerOptions): KafkaProducer {
  const { brokers, security: { sasl } = {} } = options;
  // Loaded on first use: importing @platformatic/kafka costs ~40-58 MiB of resident memory (its
  // whole API surface, schema registries with ajv and avsc), which every role that never
  // produces with it (llmp start, the ingester, query) would otherwise carry.
  const producer = import('@platformatic/kafka').then(
    ({ ProduceAcks, Producer: PlatformaticProducer, stringSerializer }) =>
      new PlatformaticProducer<string, Buffer, string, string>({
        ...platformaticBaseOptions(options),
        idempotent: true,
        acks: ProduceAcks.ALL,
        // compatibilityPartitioner's choice (the client takes it modulo the partition count), in
        // 32-bit arithmetic instead of its BigInts.
        partitioner: (_message, key) => (key ? murmur2(key) & 0x7fffffff : 0),
        serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
      }) as Producer<string, Buffer, string, string>,
  );
  // A construction error surfaces on the first send; never as an unhandled rejection.
  producer.catch(() => undefined);
  /** Set once made: partitionOf answers from the metadata the producer already holds. */
  let loaded: Producer<string, Buffer, string, string> | undefined;
  void producer.then(
    (client) => {
      loaded = client;
    },
    () => undefined,
  );
  return {
    async send(topic, records, { compression = 'none' } = {}) {
      await (await producer)
        .send({
          // @platformatic/kafka writes all five codecs (snappy and LZ4 through its WASM codecs).
          compression,
          messages: records.map((r) => ({
            topic,
            key: r.key,
            value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
            headers: r.headers,
          })),
        })
        .catch((error: unknown) => {
          throw (
            kafkaAccessError(error, { brokers, mechanism: sasl?.mechanism, username: sasl?.username }) ??
            error
          );
        });
    },
    close: async () => (await producer).close(),
    partitionOf(topic, key) {
      const count = loaded?.currentMetadata?.topics.get(topic)?.partitionsCount;
      return count ? keyPartition(Buffer.from(key), count) : undefined;
    },
  };
}
