import { Counter, type Registry } from '@llmp/pipeline';
import type { ReceiverObserver } from './receiverObserver.ts';

function build(registry: Registry) {
  return {
    accepted: new Counter({
      name: 'llmp_receiver_accepted_log_records_total',
      help: 'OTLP log records a receiver handed on to its logs pipeline',
      labelNames: ['receiver', 'transport'] as const,
      registers: [registry],
    }),
    refused: new Counter({
      name: 'llmp_receiver_refused_log_records_total',
      help: 'OTLP log records a receiver refused, by reason',
      labelNames: ['receiver', 'transport', 'reason'] as const,
      registers: [registry],
    }),
  };
}

const byRegistry = new WeakMap<Registry, ReturnType<typeof build>>();

/**
 * Counts the log records one transport of a receiver accepted and refused; refused requests
 * go to the receiver's request counter (`requests`), shared with traces.
 * @example const observe = logsObserver(registry, 'otlp', 'http', receiverObserver(metrics, 'otlp', 'http'));
 */
export function logsObserver(
  registry: Registry,
  receiver: string,
  transport: string,
  requests: ReceiverObserver,
): ReceiverObserver {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = build(registry);
    byRegistry.set(registry, metrics);
  }
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
