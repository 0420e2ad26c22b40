import type { Producer } from '@platformatic/kafka';
import { kafkaAccessError } from './kafkaAccessError.ts';
import type { KafkaProducer } from './kafkaClient.ts';
import type { KafkaSecurity } from './kafkaSecurity.ts';
import { keyPartition, murmur2 } from './murmur2.ts';

export interface PlatformaticProducerOptions {
  brokers: string[];
  clientId: string;
  /** How long a connection attempt may take; a down broker fails a send quickly. */
  connectionTimeoutMs?: number;
  /** SASL and TLS (kafkaSecurity() of the config); plaintext without login when absent. */
  security?: KafkaSecurity;
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
  brokers,
  clientId,
  connectionTimeoutMs = 3000,
  security: { sasl, tls } = {},
  connections = 1,
}: PlatformaticProducerOptions): KafkaProducer {
  // Loaded on first use: importing @platformatic/kafka costs ~40-58 MiB of resident memory (its
  // whole API surface, schema registries with ajv and avsc), which every role that never
  // produces with it (llmp start, the ingester, query) would otherwise carry.
  const made = () =>
    import('@platformatic/kafka').then(
      ({ ProduceAcks, Producer: PlatformaticProducer, stringSerializer }) =>
        new PlatformaticProducer<string, Buffer, string, string>({
          clientId,
          bootstrapBrokers: brokers,
          idempotent: true,
          acks: ProduceAcks.ALL,
          // compatibilityPartitioner's choice (the client takes it modulo the partition count), in
          // 32-bit arithmetic instead of its BigInts.
          partitioner: (_message, key) => (key ? murmur2(key) & 0x7fffffff : 0),
          connectTimeout: connectionTimeoutMs,
          ...(tls ? { tls, ...(tls.servername ? { tlsServerName: tls.servername } : {}) } : {}),
          ...(sasl
            ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }
            : {}),
          requestTimeout: 10_000,
          // Back off as the kafkajs producer did (100 ms doubling, at most 2 s): a send rides out a
          // short broker blip instead of failing within milliseconds, so a sender's own retry budget
          // (OTLP/HTTP SDKs give up after 5 attempts) is not spent while the broker restarts.
          retries: 5,
          retryDelay: (_client, _operation, attempt) => Math.min(2000, 100 * 2 ** attempt),
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
