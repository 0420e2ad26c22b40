// The kafka package as a role's config and pipeline builder see it: the schemas, the resource
// key and the lazy receiver and exporter, without the Kafka client libraries (kafkajs,
// @platformatic/kafka), which load when a role opens its Kafka clients. \`llmp query\` without a
// kafka section holds none of them (\`@llmp/kafka/components\`; issue 21, item 1).
import { lazyFactory } from '@llmp/pipeline';
import { kafkaExporterConfig } from './kafkaExporter.ts';
import { kafkaReceiverConfig } from './kafkaReceiver.ts';
import { kafkaSignalNames } from './kafkaSignals.ts';

export type { KafkaClients, KafkaProducer } from './kafkaClient.ts';
export { type KafkaExporterConfig, kafkaExporterConfig } from './kafkaExporter.ts';
export { type KafkaReceiverConfig, kafkaReceiverConfig } from './kafkaReceiver.ts';
export { kafkaReceiverMetrics } from './kafkaReceiverMetrics.ts';
export { kafkaResource } from './kafkaResource.ts';
export { type KafkaSecurity, kafkaSecurity } from './kafkaSecurity.ts';
export {
  type KafkaAuthConfig,
  type KafkaTlsConfig,
  kafkaAuthConfig,
  kafkaTlsConfig,
} from './kafkaSecurityConfig.ts';

/**
 * The \`kafka\` receiver (hostedKafkaReceiver), its code loaded on first create.
 * @example buildService({ config, factories: { receivers: [kafkaReceiverComponent], … }, host, logger })
 */
export const kafkaReceiverComponent = lazyFactory(
  { type: 'kafka', configSchema: kafkaReceiverConfig, signals: kafkaSignalNames, perSignal: true },
  async () => (await import('./hostedKafkaReceiver.ts')).hostedKafkaReceiver,
);

/**
 * The \`kafka\` exporter (hostedKafkaExporter), its code loaded on first create.
 * @example buildService({ config, factories: { exporters: [kafkaExporterComponent], … }, host, logger })
 */
export const kafkaExporterComponent = lazyFactory(
  { type: 'kafka', configSchema: kafkaExporterConfig, signals: kafkaSignalNames },
  async () => (await import('./hostedKafkaExporter.ts')).hostedKafkaExporter,
);
