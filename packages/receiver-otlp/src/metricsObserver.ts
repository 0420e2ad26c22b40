import { Counter, metricSet, type Registry } from '@llmp/pipeline';
import type { ReceiverObserver } from './receiverObserver.ts';

/** The `otlp` receiver's metric data point counters, beside its span and log record ones. */
export const otlpMetricPointsMetrics = metricSet((registers) => ({
  accepted: new Counter({
    name: 'llmp_receiver_accepted_metric_points_total',
    help: 'OTLP metric data points a receiver handed on to its metrics pipeline',
    labelNames: ['receiver', 'transport'] as const,
    registers,
  }),
  refused: new Counter({
    name: 'llmp_receiver_refused_metric_points_total',
    help: 'OTLP metric data points a receiver refused, by reason',
    labelNames: ['receiver', 'transport', 'reason'] as const,
    registers,
  }),
}));

/**
 * Counts the data points one transport of a receiver accepted and refused; refused requests go
 * to the receiver's request counter (`requests`), shared with traces.
 * @example const observe = metricsObserver(registry, 'otlp', 'http', receiverObserver(metrics, 'otlp', 'http'));
 */
export function metricsObserver(
  registry: Registry | undefined,
  receiver: string,
  transport: string,
  requests: ReceiverObserver,
): ReceiverObserver {
  const { accepted, refused } = otlpMetricPointsMetrics(registry);
  return {
    accepted(points) {
      if (points > 0) accepted.inc({ receiver, transport }, points);
    },
    refusedSpans(points, reason) {
      if (points > 0) refused.inc({ receiver, transport, reason }, points);
    },
    refusedRequest: (reason) => requests.refusedRequest(reason),
  };
}
