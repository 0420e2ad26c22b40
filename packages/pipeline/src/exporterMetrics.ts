import { Counter } from 'prom-client';
import { metricSet } from './metricSet.ts';

/**
 * The exporter helper's metrics, for every exporter built on it.
 * @example exporterMetrics(settings.registry).exporterSentSpans.inc({ exporter: 'clickhouse' }, n);
 */
export const exporterMetrics = metricSet((registers) => ({
  exporterSentSpans: new Counter({
    name: 'llmp_exporter_sent_spans_total',
    help: 'Spans an exporter stored or published',
    labelNames: ['exporter'] as const,
    registers,
  }),
  exporterFailedSpans: new Counter({
    name: 'llmp_exporter_send_failed_spans_total',
    help: 'Spans an exporter failed to store or publish, by error kind',
    labelNames: ['exporter', 'kind'] as const,
    registers,
  }),
}));
