import * as grpc from '@grpc/grpc-js';
import {
  decodeProtobufRequest,
  encodeProtobufResponse,
  encodeRpcStatus,
  OtlpDecodeError,
  type TraceBatch,
  type TraceRequest,
} from '@llmp/otlp';
import { type Consumer, toExportError } from '@llmp/pipeline';
import { exportTraces } from './exportTraces.ts';

const identity = (buffer: Buffer) => buffer;

/** TraceService/Export with raw bytes in and out: decoding is ours, so a bad payload is INVALID_ARGUMENT. */
export const traceServiceDefinition: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

function statusError(code: grpc.status, message: string, retryAfterMs?: number): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (retryAfterMs !== undefined) {
    // Rich error details (google.rpc.Status with RetryInfo), as OTLP "Throttling" asks for.
    metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus({ code, message, retryAfterMs })));
  }
  return { code, details: message, metadata };
}

export interface TraceServiceOptions {
  next: Consumer<TraceBatch>;
  projectOf?: (metadata: grpc.Metadata) => string;
}

/**
 * The gRPC TraceService implementation.
 * @example server.addService(traceServiceDefinition, traceService({ next }))
 */
export function traceService({
  next,
  projectOf = () => 'default',
}: TraceServiceOptions): grpc.UntypedServiceImplementation {
  const exportHandler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    let request: TraceRequest;
    try {
      request = decodeProtobufRequest(call.request);
    } catch (error) {
      if (error instanceof OtlpDecodeError)
        return callback(statusError(grpc.status.INVALID_ARGUMENT, error.message));
      return callback(statusError(grpc.status.INTERNAL, (error as Error).message));
    }
    exportTraces(next, { projectId: projectOf(call.metadata), request, bytes: call.request }).then(
      (outcome) => callback(null, Buffer.from(encodeProtobufResponse(outcome))),
      (caught: unknown) => {
        const error = toExportError(caught);
        if (error.kind === 'permanent')
          return callback(statusError(grpc.status.INVALID_ARGUMENT, error.message));
        // OTLP/gRPC: UNAVAILABLE and RESOURCE_EXHAUSTED (with RetryInfo) are the retryable answers.
        const code = error.reason === 'exhausted' ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE;
        callback(statusError(code, error.message, error.retryAfterMs ?? 1000));
      },
    );
  };
  return { Export: exportHandler };
}
