import type { Registry } from 'prom-client';
import type { Component, Consumer } from './component.ts';
import { toExportError } from './exportError.ts';
import { selfMetrics } from './selfMetrics.ts';

/**
 * Wraps an exporter so each batch it stores or fails is counted (llmp_exporter_sent_spans_total,
 * llmp_exporter_send_failed_spans_total{kind}), without touching the exporter itself.
 * @example const exporter = observeExporter(clickhouse, { registry, exporter: 'clickhouse', count: (b) => b.spanCount });
 */
export function observeExporter<T, E extends Component & Consumer<T>>(
  inner: E,
  {
    registry,
    exporter,
    count,
  }: { registry: Registry | undefined; exporter: string; count: (data: T) => number },
): E {
  const metrics = selfMetrics(registry);
  return {
    ...inner,
    start: () => inner.start(),
    shutdown: () => inner.shutdown(),
    async consume(data: T) {
      try {
        await inner.consume(data);
      } catch (caught) {
        const error = toExportError(caught);
        metrics.exporterFailedSpans.inc({ exporter, kind: error.kind }, count(data));
        throw error;
      }
      metrics.exporterSentSpans.inc({ exporter }, count(data));
    },
  };
}
