import protobuf from 'protobufjs';
import { protoDir } from './protoTypes.ts';

export interface MetricsProtoTypes {
  request: protobuf.Type;
  response: protobuf.Type;
}

let cached: MetricsProtoTypes | undefined;

/**
 * The OTLP metrics service messages compiled from `proto/`, built on first use and reused.
 * @example metricsProtoTypes().request.decode(bytes)
 */
export function metricsProtoTypes(): MetricsProtoTypes {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => protoDir + target;
  root.loadSync('opentelemetry/proto/collector/metrics/v1/metrics_service.proto', { keepCase: false });
  root.resolveAll();
  cached = {
    request: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  };
  return cached;
}
