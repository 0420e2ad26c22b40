import {
  type KafkaAuthConfig,
  type KafkaClients,
  type KafkaTlsConfig,
  kafkaSecurity,
} from '@llmp/kafka/components';
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
 * The Kafka clients of a distributed role, from its `kafka` config section. With the
 * @platformatic/kafka producer (the default) topics are made with its admin too, and kafkajs,
 * which llmp consumes with, loads only when a consumer is made: the gateway does not hold two
 * Kafka libraries (~6-8 MiB, docs/benchmarks.md, "gwmem").
 * @example const kafka = await kafkaClients(config.kafka, logger);
 */
export async function kafkaClients(config: KafkaClusterConfig, logger: Logger): Promise<KafkaClients> {
  // One login and TLS setup for every client of the role: consumers, admin and the producer.
  const security = kafkaSecurity(config);
  const kafkaLogger = logger.child({ component: 'kafka' });
  const options = {
    security,
    brokers: config.brokers,
    clientId: config.clientId,
    logger: kafkaLogger,
    topicPartitions: config.topicPartitions,
    topicReplicationFactor: config.topicReplicationFactor,
    producerConnections: config.producerConnections,
  };
  const kafkajs = async () => (await import('@llmp/kafka/kafkajs')).kafkajsClients(options);
  if (config.producerClient !== 'platformatic') return kafkajs();
  const { platformaticClients } = await import('@llmp/kafka/platformatic');
  return platformaticClients({ ...options, consumers: kafkajs });
}
