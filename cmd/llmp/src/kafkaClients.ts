import { type KafkaClients, kafkajsClients } from '@llmp/kafka';
import type { Logger } from '@llmp/pipeline';

/**
 * The Kafka clients of a distributed role, from its `kafka` config section.
 * @example const kafka = kafkaClients(config.kafka, logger);
 */
export function kafkaClients(config: { brokers: string[]; clientId: string }, logger: Logger): KafkaClients {
  return kafkajsClients({
    brokers: config.brokers,
    clientId: config.clientId,
    logger: logger.child({ component: 'kafka' }),
  });
}
