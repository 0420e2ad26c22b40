import * as grpc from '@grpc/grpc-js';
import { encodeRpcStatus } from '@llmp/otlp';
import { type ExportError, statusFor } from '@llmp/pipeline';

/**
 * A gRPC status with, when `retryAfterMs` is given, rich error details (google.rpc.Status with
 * RetryInfo), as OTLP "Throttling" asks for.
 * @example callback(statusError(grpc.status.UNAUTHENTICATED, 'missing API key'))
 */
export function statusError(code: grpc.status, message: string, retryAfterMs?: number): grpc.StatusObject {
  const metadata = new grpc.Metadata();
  if (retryAfterMs !== undefined) {
    metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus({ code, message, retryAfterMs })));
  }
  return { code, details: message, metadata };
}

/**
 * An ExportError as the gRPC status statusFor gives it, RetryInfo included when it is retryable.
 * @example call.sendStatus(refusal(overloadedError()))
 */
export function refusal(error: ExportError): grpc.StatusObject {
  const status = statusFor(error);
  return statusError(status.grpc, error.message, status.retryAfterMs);
}
