import type { Logger } from '@llmp/pipeline';
import type { Admin } from '@platformatic/kafka';
import { kafkaAccessError } from './kafkaAccessError.ts';
import type { KafkaClients } from './kafkaClient.ts';
import { type PlatformaticClientOptions, platformaticBaseOptions } from './platformaticOptions.ts';
import { platformaticProducer } from './platformaticProducer.ts';

export interface PlatformaticClientsOptions extends PlatformaticClientOptions {
  logger: Logger;
  /** For topics llmp creates: partitions, and replication factor (-1: the broker's default). */
  topicPartitions?: number;
  topicReplicationFactor?: number;
  /** At most this many idempotent producers share the sends (platformaticProducer's `connections`). */
  producerConnections?: number;
  /** The clients consumers come from (kafkajs: llmp does not consume with @platformatic/kafka), made on first use. */
  consumers: () => Promise<KafkaClients>;
}

/** True when every broker answer inside a @platformatic/kafka error is "topic already exists". */
function onlyAlreadyExists(error: unknown, depth = 0): boolean {
  if (depth > 8 || error === null || typeof error !== 'object') return false;
  const { apiId, errors } = error as { apiId?: string; errors?: unknown[] };
  if (Array.isArray(errors) && errors.length > 0) return errors.every((e) => onlyAlreadyExists(e, depth + 1));
  return apiId === 'TOPIC_ALREADY_EXISTS';
}

/** Waits until every partition of `topics` has a leader, as kafkajs' createTopics({ waitForLeaders }) does. */
async function leadersOf(admin: Admin, topics: string[], attempts = 10): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const metadata = await admin.metadata({ topics, forceUpdate: true }).catch((error: unknown) => {
      if (attempt >= attempts) throw error;
      return undefined;
    });
    const led =
      metadata && topics.every((t) => metadata.topics.get(t)?.partitions.every((p) => p.leader >= 0));
    if (led) return;
    if (attempt >= attempts)
      throw new Error(`Kafka topics ${topics.join(', ')} have no partition leaders yet`);
    await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
  }
}

/**
 * Kafka clients for a role that produces with @platformatic/kafka (`kafka.producerClient:
 * platformatic`, the default): its producer and its admin for the topics llmp creates, so a role
 * that only produces (the gateway) never loads kafkajs; consumers come from `consumers`, made on
 * first use.
 * @example const kafka = platformaticClients({ brokers, clientId: 'llmp', logger, consumers: async () => kafkajsClients({ brokers, clientId: 'llmp', logger }) });
 */
export function platformaticClients({
  logger,
  topicPartitions = 6,
  topicReplicationFactor = -1,
  consumers,
  producerConnections,
  ...options
}: PlatformaticClientsOptions): KafkaClients {
  const { brokers, security: { sasl } = {} } = options;
  let consumerClients: Promise<KafkaClients> | undefined;
  return {
    producer: async () => platformaticProducer({ ...options, connections: producerConnections }),
    async ensureTopics(topics) {
      const { Admin: PlatformaticAdmin } = await import('@platformatic/kafka');
      const admin = new PlatformaticAdmin(platformaticBaseOptions(options));
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length === 0) return;
        // A topic made meanwhile (by another role) is no failure.
        await admin
          .createTopics({ topics: missing, partitions: topicPartitions, replicas: topicReplicationFactor })
          .catch((error: unknown) => {
            if (!onlyAlreadyExists(error)) throw error;
          });
        await leadersOf(admin, missing);
        logger.info({ topics: missing, partitions: topicPartitions }, 'created Kafka topics');
      } catch (error) {
        // A refused login or certificate is a config problem, not an outage: say so (KafkaAccessError).
        throw (
          kafkaAccessError(error, { brokers, mechanism: sasl?.mechanism, username: sasl?.username }) ?? error
        );
      } finally {
        await admin.close().catch(() => undefined);
      }
    },
    async consumer(consumerOptions) {
      consumerClients ??= consumers();
      return (await consumerClients).consumer(consumerOptions);
    },
  };
}
