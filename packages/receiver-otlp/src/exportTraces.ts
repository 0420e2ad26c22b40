import { rejectInvalidSpans, type TraceBatch, type TraceRequest, traceBatch } from '@llmp/otlp';
import { type Consumer, toExportError } from '@llmp/pipeline';
import type { ReceiverObserver } from './receiverObserver.ts';

export interface ExportInput {
  projectId: string;
  request: TraceRequest;
  /** The received OTLP/protobuf bytes, reused downstream when no span was rejected. */
  bytes?: Uint8Array;
}

export interface ExportTracesOutcome {
  acceptedSpans: number;
  rejectedSpans: number;
  errorMessage: string;
}

const silent: ReceiverObserver = { accepted() {}, refusedSpans() {}, refusedRequest() {} };

/**
 * The transport-independent part of TraceService/Export: screen out spans that can never be
 * stored, hand the rest on, and report the partial success. Rejects with the next consumer's
 * ExportError, which each transport maps onto its status codes.
 * @example const outcome = await exportTraces(next, { projectId: 'default', request });
 */
export async function exportTraces(
  next: Consumer<TraceBatch>,
  input: ExportInput,
  observe: ReceiverObserver = silent,
): Promise<ExportTracesOutcome> {
  const screening = rejectInvalidSpans(input.request);
  observe.refusedSpans(screening.rejectedSpans, 'invalid');
  if (screening.acceptedSpans > 0) {
    const clean = screening.rejectedSpans === 0;
    try {
      await next.consume(
        traceBatch({
          projectId: input.projectId,
          request: screening.accepted,
          spanCount: screening.acceptedSpans,
          ...(clean && input.bytes ? { bytes: input.bytes } : {}),
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
