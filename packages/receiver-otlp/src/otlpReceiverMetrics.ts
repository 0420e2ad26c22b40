import { Counter, Gauge, metricSet } from '@llmp/pipeline';

/**
 * The `otlp` receiver's metrics, by receiver id and transport.
 * @example otlpReceiverMetrics(settings.registry).receiverAcceptedSpans.inc({ receiver: 'otlp', transport: 'http' }, 12);
 */
export const otlpReceiverMetrics = metricSet((registers) => ({
  receiverAcceptedSpans: new Counter({
    name: 'llmp_receiver_accepted_spans_total',
    help: 'Spans a receiver handed on to its pipeline',
    labelNames: ['receiver', 'transport'] as const,
    registers,
  }),
  receiverRefusedSpans: new Counter({
    name: 'llmp_receiver_refused_spans_total',
    help: 'Spans a receiver refused (invalid, or the pipeline said no), by reason',
    labelNames: ['receiver', 'transport', 'reason'] as const,
    registers,
  }),
  receiverRefusedRequests: new Counter({
    name: 'llmp_receiver_refused_requests_total',
    help: 'Requests refused before their spans were counted (malformed, too large, overload, auth), by reason',
    labelNames: ['receiver', 'transport', 'reason'] as const,
    registers,
  }),
  receiverInFlightRequests: new Gauge({
    name: 'llmp_receiver_in_flight_requests',
    help: 'Requests a receiver is working on',
    labelNames: ['receiver'] as const,
    registers,
  }),
  receiverInFlightBytes: new Gauge({
    name: 'llmp_receiver_in_flight_bytes',
    help: 'Body bytes (compressed and inflated) held by requests in flight',
    labelNames: ['receiver'] as const,
    registers,
  }),
}));

export type OtlpReceiverMetrics = ReturnType<typeof otlpReceiverMetrics>;
