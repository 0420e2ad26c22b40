import { hostedFactory, type Signal } from '@llmp/pipeline';
import { KafkaAccessError } from './kafkaAccessError.ts';
import { exporterTopic, kafkaExporter, kafkaExporterConfig } from './kafkaExporter.ts';
import { kafkaResource } from './kafkaResource.ts';
import { kafkaSignalNames, kafkaSignals } from './kafkaSignals.ts';

/**
 * The `kafka` exporter as a plain factory: a producer from the host's Kafka clients, counted
 * under its id, one instance for every pipeline naming it (traces to `topic`, logs to
 * `logs.topic`), and a readiness check on each topic. Kafka may be down at start: the exporter
 * then answers senders with retryable codes.
 * @example buildService({ config, factories: { …, exporters: [hostedKafkaExporter] }, host, logger })
 */
export const hostedKafkaExporter = hostedFactory(
  'kafka',
  kafkaExporterConfig,
  async (settings, config) => {
    const { host } = settings;
    const kafka = await host.get(kafkaResource);
    const signals = kafkaSignalNames.filter((s) => (settings.signals ?? ['traces']).includes(s));
    const topics = signals.map((s: Signal) => exporterTopic(config, s));
    await kafka.ensureTopics(topics).catch((error: unknown) => {
      // Kafka down at start is an outage senders ride out; Kafka refusing our login or
      // certificate is a config problem: stop here and say so.
      if (error instanceof KafkaAccessError) throw error;
      settings.logger.warn({ err: error }, 'could not check the Kafka topics now; sending will retry');
    });
    // Ready when the brokers answer a metadata request for the topic.
    for (const topic of topics)
      host.addReadinessCheck(`${settings.id} (topic ${topic})`, () => kafka.ensureTopics([topic]));
    return kafkaExporter(
      await kafka.producer(),
      settings,
      config,
      signals.map((s) => kafkaSignals[s]!),
    );
  },
  { signals: kafkaSignalNames },
);
