import type { ExportError } from './exportError.ts';

/** The gRPC status codes (google.rpc.Code) an ExportError maps onto; the numbers of grpc-js's `status`. */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
} as const;

export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** How both OTLP transports answer one ExportError. */
export interface TransportStatus {
  /** gRPC status code; also the `code` of the google.rpc.Status body of an OTLP/HTTP failure. */
  grpc: GrpcCode;
  /** HTTP status code. */
  http: number;
  /** Retryable only: the delay for gRPC RetryInfo and the protobuf failure body, in milliseconds. */
  retryAfterMs?: number;
  /** Retryable only: the HTTP `Retry-After` value, whole seconds and at least 1 (RFC 9110 §10.2.3). */
  retryAfter?: string;
}

/** The delay a retryable answer carries when the error brought no hint of its own. */
export const defaultRetryAfterMs = 1000;

/**
 * The one map from an error's kind onto the OTLP answer, shared by the gRPC and HTTP transports
 * so that both answer the same class for the same error (OTLP specification, "Failures" and
 * "Throttling" of OTLP/gRPC and OTLP/HTTP):
 * - permanent → INVALID_ARGUMENT / 400, or 413 when the request passes a bound it could never fit;
 * - retryable, `exhausted` → RESOURCE_EXHAUSTED / 429, with RetryInfo and Retry-After (OTLP/gRPC
 *   treats RESOURCE_EXHAUSTED as retryable only with RetryInfo, so it always carries one);
 * - retryable, `unavailable` → UNAVAILABLE / 503, with RetryInfo and Retry-After.
 * @example const { grpc, http, retryAfter } = statusFor(retryable('queue full', { reason: 'exhausted' }));
 */
export function statusFor(error: ExportError): TransportStatus {
  if (error.kind === 'permanent') {
    return { grpc: GrpcCode.INVALID_ARGUMENT, http: error.tooLarge ? 413 : 400 };
  }
  const retryAfterMs = error.retryAfterMs ?? defaultRetryAfterMs;
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return error.reason === 'exhausted'
    ? { grpc: GrpcCode.RESOURCE_EXHAUSTED, http: 429, retryAfterMs, retryAfter }
    : { grpc: GrpcCode.UNAVAILABLE, http: 503, retryAfterMs, retryAfter };
}
