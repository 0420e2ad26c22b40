import { Counter, metricSet } from '@llmp/pipeline';

/**
 * The `kafka` exporter's own metrics (the gateway's produce path), by exporter id. Sends over
 * produce requests is how many OTLP requests one produce request carried (coalescingProducer).
 * @example kafkaExporterMetrics(settings.registry).produceRequests.inc({ exporter: 'kafka' });
 */
export const kafkaExporterMetrics = metricSet((registers) => ({
  produceRequests: new Counter({
    name: 'llmp_exporter_kafka_produce_requests_total',
    help: 'Merged sends handed to the Kafka client (one produce request per broker each)',
    labelNames: ['exporter'] as const,
    registers,
  }),
  mergedSends: new Counter({
    name: 'llmp_exporter_kafka_merged_sends_total',
    help: 'Sends (one per exported batch) those produce requests carried: over produce requests, the sends merged per request',
    labelNames: ['exporter'] as const,
    registers,
  }),
}));
