import { Counter, metricSet, type Registry } from '@llmp/pipeline';
import type { ReceiverObserver } from './receiverObserver.ts';

/** The `otlp` receiver's log-record counters, beside its span ones (otlpReceiverMetrics). */
export const otlpLogsMetrics = metricSet((registers) => ({
  accepted: new Counter({
    name: 'llmp_receiver_accepted_log_records_total',
    help: 'OTLP log records a receiver handed on to its logs pipeline',
    labelNames: ['receiver', 'transport'] as const,
    registers,
  }),
  refused: new Counter({
    name: 'llmp_receiver_refused_log_records_total',
    help: 'OTLP log records a receiver refused, by reason',
    labelNames: ['receiver', 'transport', 'reason'] as const,
    registers,
  }),
}));

/**
 * Counts the log records one transport of a receiver accepted and refused; refused requests
 * go to the receiver's request counter (`requests`), shared with traces.
 * @example const observe = logsObserver(registry, 'otlp', 'http', receiverObserver(metrics, 'otlp', 'http'));
 */
export function logsObserver(
  registry: Registry | undefined,
  receiver: string,
  transport: string,
  requests: ReceiverObserver,
): ReceiverObserver {
  const metrics = otlpLogsMetrics(registry);
  const { accepted, refused } = metrics;
  return {
    accepted(records) {
      if (records > 0) accepted.inc({ receiver, transport }, records);
    },
    refusedSpans(records, reason) {
      if (records > 0) refused.inc({ receiver, transport, reason }, records);
    },
    refusedRequest: (reason) => requests.refusedRequest(reason),
  };
}
