import { Counter, Gauge, metricSet } from '@llmp/pipeline';

/**
 * The `kafka` receiver's metrics (the ingester's), by topic.
 * @example kafkaReceiverMetrics(settings.registry).ingesterLag.set({ topic: 'otlp_spans', partition: '0' }, 12);
 */
export const kafkaReceiverMetrics = metricSet((registers) => ({
  ingesterLag: new Gauge({
    name: 'llmp_ingester_lag_records',
    help: 'Records of a partition not yet stored and committed, as of the last fetch (high watermark - committed offset)',
    labelNames: ['topic', 'partition'] as const,
    registers,
  }),
  ingesterDeadLettered: new Counter({
    name: 'llmp_ingester_dead_lettered_records_total',
    help: 'Records the ingester sent to the dead-letter topic, by reason: unreadable_batch (the client could not decompress it), undecodable (not OTLP), invalid_spans, store_refused',
    labelNames: ['topic', 'reason'] as const,
    registers,
  }),
  ingesterUnreadableRecords: new Counter({
    name: 'llmp_ingester_unreadable_records_total',
    help: 'Records in batches the Kafka client could not decompress (each batch goes to the dead-letter topic once, with its compressed bytes)',
    labelNames: ['topic'] as const,
    registers,
  }),
  ingesterConsumerRestarts: new Counter({
    name: 'llmp_ingester_consumer_restarts_total',
    help: 'Times the Kafka consumer was started again: Kafka was not reachable at start, or the consumer stopped on an error (e.g. a refused login)',
    labelNames: ['topic'] as const,
    registers,
  }),
}));
