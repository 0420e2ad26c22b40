import type * as grpc from '@grpc/grpc-js';

const identity = (buffer: Buffer) => buffer;

/**
 * The gRPC definition of one OTLP collector service's unary `Export` with raw bytes in and out:
 * decoding is ours, so a bad payload is INVALID_ARGUMENT with our message, not grpc-js's.
 * @example rawExportDefinition('opentelemetry.proto.collector.logs.v1.LogsService')
 */
export function rawExportDefinition(service: string): grpc.ServiceDefinition {
  return {
    Export: {
      path: `/${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}
