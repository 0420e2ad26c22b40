import protobuf from 'protobufjs';
import { protoDir } from './protoTypes.ts';

export interface LogsProtoTypes {
  request: protobuf.Type;
  response: protobuf.Type;
}

let cached: LogsProtoTypes | undefined;

/**
 * The OTLP logs service messages compiled from `proto/`, built on first use and reused.
 * @example logsProtoTypes().request.decode(bytes)
 */
export function logsProtoTypes(): LogsProtoTypes {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => protoDir + target;
  root.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto', { keepCase: false });
  root.resolveAll();
  cached = {
    request: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  };
  return cached;
}
