import { type KafkaClients, kafkaResource } from '@llmp/kafka/components';
import type { Logger, ResourceProvider } from '@llmp/pipeline';
import type { KafkaClusterConfig } from './kafkaClients.ts';

/**
 * The Kafka clients of a distributed role, from its \`kafka\` section. Its own module so that the
 * gateway, whose only resource this is, does not load the store's and the jobs' code; the client
 * libraries load when the clients are opened.
 * @example kafkaProvider(config.kafka, logger)
 */
export function kafkaProvider(config: KafkaClusterConfig, logger: Logger): ResourceProvider<KafkaClients> {
  return {
    key: kafkaResource,
    open: async () => (await import('./kafkaClients.ts')).kafkaClients(config, logger),
  };
}
