import { resourceKey } from '@llmp/pipeline';
import type { KafkaClients } from './kafkaClient.ts';

/** Clients of the host's Kafka cluster (the role's `kafka` section). */
export const kafkaResource = resourceKey<KafkaClients>('Kafka cluster (kafka section)');
