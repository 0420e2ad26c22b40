import { protoTypes } from './protoTypes.ts';

/** What an export answer carries (OTLP ExportTraceServiceResponse). */
export interface ExportOutcome {
  /** Spans the server refused individually; zero means full success. */
  rejectedSpans: number;
  errorMessage: string;
}

// OTLP specification, "Partial Success": the field is set only when something was rejected
// or the server has a warning; a full success is an empty response.
const hasPartialSuccess = (o: ExportOutcome) => o.rejectedSpans > 0 || o.errorMessage !== '';

/**
 * The OTLP/protobuf ExportTraceServiceResponse for an outcome.
 * @example res.body(encodeProtobufResponse({ rejectedSpans: 0, errorMessage: '' }))
 */
export function encodeProtobufResponse(outcome: ExportOutcome): Uint8Array {
  const { response } = protoTypes();
  const plain = hasPartialSuccess(outcome)
    ? { partialSuccess: { rejectedSpans: String(outcome.rejectedSpans), errorMessage: outcome.errorMessage } }
    : {};
  return response.encode(response.fromObject(plain)).finish();
}

/**
 * The OTLP/JSON ExportTraceServiceResponse for an outcome (int64 as a decimal string).
 * @example c.json(jsonResponse(outcome))
 */
export function jsonResponse(outcome: ExportOutcome): Record<string, unknown> {
  if (!hasPartialSuccess(outcome)) return {};
  return {
    partialSuccess: { rejectedSpans: String(outcome.rejectedSpans), errorMessage: outcome.errorMessage },
  };
}

/**
 * Decodes an ExportTraceServiceResponse (for tests and the load generator).
 * @example decodeProtobufResponse(bytes).rejectedSpans
 */
export function decodeProtobufResponse(bytes: Uint8Array): ExportOutcome {
  const { response } = protoTypes();
  const message = response.toObject(response.decode(bytes), { longs: Number, defaults: true }) as {
    partialSuccess?: { rejectedSpans: number; errorMessage: string };
  };
  return {
    rejectedSpans: message.partialSuccess?.rejectedSpans ?? 0,
    errorMessage: message.partialSuccess?.errorMessage ?? '',
  };
}
