import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export interface ProtoTypes {
  request: protobuf.Type;
  span: protobuf.Type;
  response: protobuf.Type;
  status: protobuf.Type;
  retryInfo: protobuf.Type;
}

let cached: ProtoTypes | undefined;

/** Directory of the project's .proto files (repository `proto/`). */
export const protoDir = fileURLToPath(new URL('../../../proto/', import.meta.url));

/**
 * The OTLP message types compiled by protobufjs from `proto/`, built on first use and reused:
 * compiling is deterministic, so sharing the result is safe.
 * @example const { request } = protoTypes(); request.decode(bytes);
 */
export function protoTypes(): ProtoTypes {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => protoDir + target;
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: false });
  root.resolveAll();
  cached = {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    span: root.lookupType('opentelemetry.proto.trace.v1.Span'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    status: root.lookupType('google.rpc.Status'),
    retryInfo: root.lookupType('google.rpc.RetryInfo'),
  };
  return cached;
}
