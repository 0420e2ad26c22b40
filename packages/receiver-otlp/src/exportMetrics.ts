import { type MetricBatch, type MetricsRequest, screenMetricsRequest } from '@llmp/otlp';
import { type Consumer, toExportError } from '@llmp/pipeline';
import { type ReceiverObserver, silentObserver } from './receiverObserver.ts';

export interface ExportMetricsOutcome {
  acceptedDataPoints: number;
  rejectedDataPoints: number;
  errorMessage: string;
}

/**
 * The transport-independent part of MetricsService/Export: screen the data points, hand the rest
 * on and report the partial success (OTLP specification, "Partial Success"). Rejects with the
 * next consumer's ExportError, which each transport maps onto its status codes.
 * @example const outcome = await exportMetrics(next, { projectId: 'default', request: decodeProtobufMetricsRequest(body) });
 */
export async function exportMetrics(
  next: Consumer<MetricBatch>,
  input: { projectId: string; request: MetricsRequest; received?: () => Uint8Array },
  observe: ReceiverObserver = silentObserver,
): Promise<ExportMetricsOutcome> {
  const screening = screenMetricsRequest(input.request);
  observe.refusedSpans(screening.rejectedDataPoints, 'invalid');
  if (screening.acceptedDataPoints > 0) {
    try {
      await next.consume({
        projectId: input.projectId,
        request: screening.accepted,
        dataPointCount: screening.acceptedDataPoints,
        ...(input.received ? { received: input.received } : {}),
      });
    } catch (caught) {
      const error = toExportError(caught);
      observe.refusedSpans(
        screening.acceptedDataPoints,
        error.kind === 'permanent' ? 'permanent' : (error.reason ?? 'unavailable'),
      );
      throw error;
    }
    observe.accepted(screening.acceptedDataPoints);
  }
  return {
    acceptedDataPoints: screening.acceptedDataPoints,
    rejectedDataPoints: screening.rejectedDataPoints,
    errorMessage: screening.errorMessage,
  };
}
