import { type SpanScreening, type TraceBatch, traceBatch, type WireScreening } from '@llmp/otlp';
import { type Consumer, toExportError } from '@llmp/pipeline';
import { type ReceiverObserver, silentObserver } from './receiverObserver.ts';

export interface ExportInput {
  projectId: string;
  /**
   * The request with the spans that can never be stored screened out: located in the received
   * protobuf bytes (`screenProtobufRequest`), or decoded from OTLP/JSON (`rejectInvalidSpans`).
   */
  screening: WireScreening | SpanScreening;
}

export interface ExportTracesOutcome {
  acceptedSpans: number;
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * The transport-independent part of TraceService/Export: hand the screened spans on and report
 * the partial success. Rejects with the next consumer's
 * ExportError, which each transport maps onto its status codes.
 * @example const outcome = await exportTraces(next, { projectId: 'default', screening: screenProtobufRequest(body) });
 */
export async function exportTraces(
  next: Consumer<TraceBatch>,
  input: ExportInput,
  observe: ReceiverObserver = silentObserver,
): Promise<ExportTracesOutcome> {
  const { screening } = input;
  observe.refusedSpans(screening.rejectedSpans, 'invalid');
  if (screening.acceptedSpans > 0) {
    const { accepted } = screening;
    try {
      await next.consume(
        traceBatch({
          projectId: input.projectId,
          spanCount: screening.acceptedSpans,
          ...('source' in accepted ? { wire: accepted } : { request: accepted }),
        }),
      );
    } catch (caught) {
      const error = toExportError(caught);
      observe.refusedSpans(
        screening.acceptedSpans,
        error.kind === 'permanent' ? 'permanent' : (error.reason ?? 'unavailable'),
      );
      throw error;
    }
    observe.accepted(screening.acceptedSpans);
  }
  return {
    acceptedSpans: screening.acceptedSpans,
    rejectedSpans: screening.rejectedSpans,
    errorMessage: screening.errorMessage,
  };
}
