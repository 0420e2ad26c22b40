import { type KafkaClients, kafkaExporterFactory } from '@llmp/kafka';
import { type Logger, pipeline } from '@llmp/pipeline';
import { otlpReceiverFactory } from '@llmp/receiver-otlp';
import type { GatewayConfig } from './roleConfigs.ts';
import type { Running } from './runStart.ts';

/**
 * `llmp gateway`: OTLP receivers → `otlp_spans`. A sender is answered only once Kafka
 * acknowledged its spans; no span objects are kept beyond the request.
 * @example const running = await runGateway(config, { kafka, logger });
 */
export async function runGateway(
  config: GatewayConfig,
  { kafka, logger }: { kafka: KafkaClients; logger: Logger },
): Promise<Running> {
  const settings = (id: string) => ({ id, logger: logger.child({ component: id }) });
  // Kafka may be down while the gateway starts: it then answers senders with retryable codes.
  await kafka.ensureTopics([config.exporters.kafka.topic]).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not check the Kafka topic now; sending will retry');
  });
  const producer = await kafka.producer();
  const exporter = kafkaExporterFactory(producer).create(
    settings('kafka'),
    config.exporters.kafka,
    undefined,
  );
  const receiver = otlpReceiverFactory.create(settings('otlp'), config.receivers.otlp, exporter);
  const traces = pipeline({ receivers: [receiver], processors: [], exporters: [exporter] });
  await traces.start();
  logger.info(
    { brokers: config.kafka.brokers, topic: config.exporters.kafka.topic },
    'gateway forwarding to Kafka',
  );
  return { stop: () => traces.shutdown() };
}
