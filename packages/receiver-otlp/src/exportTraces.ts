import { rejectInvalidSpans, type TraceBatch, type TraceRequest, traceBatch } from '@llmp/otlp';
import type { Consumer } from '@llmp/pipeline';

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

/**
 * The transport-independent part of TraceService/Export: screen out spans that can never be
 * stored, hand the rest on, and report the partial success. Rejects with the next consumer's
 * ExportError, which each transport maps onto its status codes.
 * @example const outcome = await exportTraces(next, { projectId: 'default', request });
 */
export async function exportTraces(
  next: Consumer<TraceBatch>,
  input: ExportInput,
): Promise<ExportTracesOutcome> {
  const screening = rejectInvalidSpans(input.request);
  if (screening.acceptedSpans > 0) {
    const clean = screening.rejectedSpans === 0;
    await next.consume(
      traceBatch({
        projectId: input.projectId,
        request: screening.accepted,
        spanCount: screening.acceptedSpans,
        ...(clean && input.bytes ? { bytes: input.bytes } : {}),
      }),
    );
  }
  return {
    acceptedSpans: screening.acceptedSpans,
    rejectedSpans: screening.rejectedSpans,
    errorMessage: screening.errorMessage,
  };
}
