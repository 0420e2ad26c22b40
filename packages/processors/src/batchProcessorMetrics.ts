import { Gauge, Histogram, metricSet } from '@llmp/pipeline';

/**
 * The `batch` processor's metrics, by processor id.
 * @example batchProcessorMetrics(settings.registry).batchSize.observe({ processor: 'batch' }, 512);
 */
export const batchProcessorMetrics = metricSet((registers) => ({
  batchSize: new Histogram({
    name: 'llmp_processor_batch_size_spans',
    help: 'Spans per batch sent on by the batch processor',
    labelNames: ['processor'] as const,
    buckets: [1, 10, 100, 500, 1000, 2000, 4096, 8192, 16384, 65536],
    registers,
  }),
  pendingSpans: new Gauge({
    name: 'llmp_processor_pending_spans',
    help: 'Spans held or being exported by the batch processor (queue fill)',
    labelNames: ['processor'] as const,
    registers,
  }),
  pendingSpansCapacity: new Gauge({
    name: 'llmp_processor_pending_spans_capacity',
    help: 'The bound on llmp_processor_pending_spans (maxPendingSpans)',
    labelNames: ['processor'] as const,
    registers,
  }),
}));
