import type { Producer } from '@platformatic/kafka';
import { kafkaAccessError } from './kafkaAccessError.ts';
import type { KafkaProducer } from './kafkaClient.ts';
import { keyPartition, murmur2 } from './murmur2.ts';
import { type PlatformaticClientOptions, platformaticBaseOptions } from './platformaticOptions.ts';

export interface PlatformaticProducerOptions extends PlatformaticClientOptions {
  /**
   * Idempotent producers (each its own producer id and broker connections) that sends are spread
   * over, at most; another is made only when every one made has a send in flight.
   * @platformatic/kafka keeps one produce request in flight per connection when idempotent (Kafka
   * allows 5), so with one producer every send waits for the acks of the one before.
   */
  connections?: number;
}

/**
 * An idempotent acks=all producer over @platformatic/kafka. Keys are partitioned with the Java
 * client's murmur2 (as kafkajs' DefaultPartitioner does), so a trace keeps its partition
 * whichever client wrote it.
 * @example const producer = platformaticProducer({ brokers: ['localhost:9092'], clientId: 'llmp' });
 */
export function platformaticProducer({
  connections = 1,
  ...options
}: PlatformaticProducerOptions): KafkaProducer {
  const { brokers, security: { sasl } = {} } = options;
  // Loaded on first use: importing @platformatic/kafka costs ~40-58 MiB of resident memory (its
  // whole API surface, schema registries with ajv and avsc), which every role that never
  // produces with it (llmp start, the ingester, query) would otherwise carry.
  const made = () =>
    import('@platformatic/kafka').then(
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
  /** Set once made: partitionOf answers from the metadata the producers already hold. */
  const loaded: Producer<string, Buffer, string, string>[] = [];
  /** The producers made so far: the first at once, another only when every one is busy. */
  const producers: Promise<Producer<string, Buffer, string, string>>[] = [];
  /** Sends in flight per producer: a send goes to the least busy (the first on a tie). */
  const busy: number[] = [];
  let closed = false;
  function addProducer(): void {
    const producer = made();
    // A construction error surfaces on the first send; never as an unhandled rejection.
    producer.then(
      (client) => {
        loaded.push(client);
      },
      () => undefined,
    );
    producers.push(producer);
    busy.push(0);
  }
  addProducer();
  return {
    async send(topic, records, { compression = 'none' } = {}) {
      let pick = 0;
      for (let i = 1; i < busy.length; i++) if (busy[i]! < busy[pick]!) pick = i;
      if (busy[pick]! > 0 && producers.length < connections && !closed) {
        addProducer();
        pick = producers.length - 1;
      }
      busy[pick] = busy[pick]! + 1;
      try {
        await (await producers[pick]!)
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
      } finally {
        busy[pick] = busy[pick]! - 1;
      }
    },
    async close() {
      closed = true;
      await Promise.all(producers.map(async (producer) => (await producer).close()));
    },
    partitionOf(topic, key) {
      let count: number | undefined;
      for (const client of loaded) count ??= client.currentMetadata?.topics.get(topic)?.partitionsCount;
      return count ? keyPartition(Buffer.from(key), count) : undefined;
    },
  };
}
