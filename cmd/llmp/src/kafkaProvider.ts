import { type KafkaClients, kafkaResource } from '@llmp/kafka';
import type { Logger, ResourceProvider } from '@llmp/pipeline';
import { type KafkaClusterConfig, kafkaClients } from './kafkaClients.ts';

/**
 * The Kafka clients of a distributed role, from its `kafka` section. Its own module so that the
 * gateway, whose only resource this is, does not load the store's and the jobs' code.
 * @example kafkaProvider(config.kafka, logger)
 */
export function kafkaProvider(config: KafkaClusterConfig, logger: Logger): ResourceProvider<KafkaClients> {
  return { key: kafkaResource, open: async () => kafkaClients(config, logger) };
}
