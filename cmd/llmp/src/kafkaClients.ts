import {
  type KafkaAuthConfig,
  type KafkaClients,
  type KafkaTlsConfig,
  kafkajsClients,
  kafkaSecurity,
  platformaticProducer,
} from '@llmp/kafka';
import type { Logger } from '@llmp/pipeline';

/** The `kafka` section of a distributed role. */
export interface KafkaClusterConfig {
  brokers: string[];
  clientId: string;
  producerClient?: 'kafkajs' | 'platformatic';
  producerConnections?: number;
  topicPartitions?: number;
  topicReplicationFactor?: number;
  auth?: KafkaAuthConfig;
  tls?: KafkaTlsConfig | undefined;
}

/**
 * The Kafka clients of a distributed role, from its `kafka` config section.
 * @example const kafka = kafkaClients(config.kafka, logger);
 */
export function kafkaClients(config: KafkaClusterConfig, logger: Logger): KafkaClients {
  // One login and TLS setup for every client of the role: consumers, admin and both producers.
  const security = kafkaSecurity(config);
  const clients = kafkajsClients({
    security,
    brokers: config.brokers,
    clientId: config.clientId,
    logger: logger.child({ component: 'kafka' }),
    topicPartitions: config.topicPartitions,
    topicReplicationFactor: config.topicReplicationFactor,
  });
  if (config.producerClient !== 'platformatic') return clients;
  return {
    ...clients,
    producer: async () =>
      platformaticProducer({
        brokers: config.brokers,
        clientId: config.clientId,
        security,
        connections: config.producerConnections ?? 1,
      }),
  };
}
