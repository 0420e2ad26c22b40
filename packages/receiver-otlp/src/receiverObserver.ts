import type { OtlpReceiverMetrics } from './otlpReceiverMetrics.ts';

/** Why a receiver refused spans or a request; the `reason` label of its metrics. */
export type RefusalReason =
  | 'invalid'
  | 'malformed'
  | 'limit'
  | 'too_large'
  | 'unsupported'
  | 'overloaded'
  | 'exhausted'
  | 'unavailable'
  | 'permanent'
  | 'unauthenticated'
  | 'forbidden'
  | 'aborted';

export interface ReceiverObserver {
  accepted(spans: number): void;
  refusedSpans(spans: number, reason: RefusalReason): void;
  refusedRequest(reason: RefusalReason): void;
}

/** Counts nothing: the observer of a receiver given none. */
export const silentObserver: ReceiverObserver = { accepted() {}, refusedSpans() {}, refusedRequest() {} };

/**
 * Counts what one transport of a receiver accepted and refused, in metrics, never in per-span logs.
 * @example const observe = receiverObserver(otlpReceiverMetrics(registry), 'otlp', 'http'); observe.accepted(12);
 */
export function receiverObserver(
  metrics: OtlpReceiverMetrics,
  receiver: string,
  transport: string,
): ReceiverObserver {
  return {
    accepted(spans) {
      if (spans > 0) metrics.receiverAcceptedSpans.inc({ receiver, transport }, spans);
    },
    refusedSpans(spans, reason) {
      if (spans > 0) metrics.receiverRefusedSpans.inc({ receiver, transport, reason }, spans);
    },
    refusedRequest(reason) {
      metrics.receiverRefusedRequests.inc({ receiver, transport, reason });
    },
  };
}
