import { hostedFactory } from '@llmp/pipeline';
import { KafkaAccessError } from './kafkaAccessError.ts';
import { kafkaExporter, kafkaExporterConfig } from './kafkaExporter.ts';
import { kafkaResource } from './kafkaResource.ts';

/**
 * The `kafka` exporter as a plain factory: a producer from the host's Kafka clients, counted
 * under its id, and a readiness check on its topic. Kafka may be down at start: the exporter
 * then answers senders with retryable codes.
 * @example buildService({ config, factories: { …, exporters: [hostedKafkaExporter] }, host, logger })
 */
export const hostedKafkaExporter = hostedFactory('kafka', kafkaExporterConfig, async (settings, config) => {
  const { host } = settings;
  const kafka = await host.get(kafkaResource);
  await kafka.ensureTopics([config.topic]).catch((error: unknown) => {
    // Kafka down at start is an outage senders ride out; Kafka refusing our login or
    // certificate is a config problem: stop here and say so.
    if (error instanceof KafkaAccessError) throw error;
    settings.logger.warn({ err: error }, 'could not check the Kafka topic now; sending will retry');
  });
  // Ready when the brokers answer a metadata request for the topic.
  host.addReadinessCheck(`${settings.id} (topic ${config.topic})`, () => kafka.ensureTopics([config.topic]));
  return kafkaExporter(await kafka.producer(), settings, config);
});
