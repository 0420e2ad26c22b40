import { type KafkaClients, kafkaExporterFactory } from '@llmp/kafka';
import type { TraceBatch } from '@llmp/otlp';
import { type Logger, observeExporter, pipeline, processRegistry } from '@llmp/pipeline';
import { otlpReceiverFactory } from '@llmp/receiver-otlp';
import { authenticateFrom } from './authenticateFrom.ts';
import type { GatewayConfig } from './roleConfigs.ts';
import type { Running } from './runStart.ts';
import { telemetryServer } from './telemetryServer.ts';

/**
 * `llmp gateway`: OTLP receivers → `otlp_spans`. A sender is answered only once Kafka
 * acknowledged its spans; no span objects are kept beyond the request.
 * @example const running = await runGateway(config, { kafka, logger });
 */
export async function runGateway(
  config: GatewayConfig,
  { kafka, logger }: { kafka: KafkaClients; logger: Logger },
): Promise<Running> {
  const registry = processRegistry();
  const { authenticate } = authenticateFrom(config.auth, process.env);
  const settings = (id: string) => ({ id, logger: logger.child({ component: id }), registry, authenticate });
  // Kafka may be down while the gateway starts: it then answers senders with retryable codes.
  await kafka.ensureTopics([config.exporters.kafka.topic]).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not check the Kafka topic now; sending will retry');
  });
  const producer = await kafka.producer();
  const exporter = observeExporter(
    kafkaExporterFactory(producer).create(settings('kafka'), config.exporters.kafka, undefined),
    { registry, exporter: 'kafka', count: (batch: TraceBatch) => batch.spanCount },
  );
  const receiver = otlpReceiverFactory.create(settings('otlp'), config.receivers.otlp, exporter);
  const traces = pipeline({ receivers: [receiver], processors: [], exporters: [exporter] });
  const telemetry = telemetryServer({
    endpoint: config.telemetry.endpoint,
    registry,
    // Ready when the brokers answer a metadata request for the topic.
    ready: () => kafka.ensureTopics([config.exporters.kafka.topic]),
    logger: logger.child({ component: 'telemetry' }),
  });
  await traces.start();
  try {
    await telemetry.start();
  } catch (error) {
    await traces.shutdown();
    throw error;
  }
  logger.info(
    { brokers: config.kafka.brokers, topic: config.exporters.kafka.topic },
    'gateway forwarding to Kafka',
  );
  return {
    async stop() {
      await traces.shutdown();
      await telemetry.shutdown();
    },
  };
}
