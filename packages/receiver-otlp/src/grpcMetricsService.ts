import type * as grpc from '@grpc/grpc-js';
import {
  checkMetricsLimits,
  decodeProtobufMetricsRequest,
  encodeMetricsResponse,
  type MetricBatch,
  unboundedValues,
} from '@llmp/otlp';
import type { Consumer } from '@llmp/pipeline';
import { exportMetrics } from './exportMetrics.ts';
import { exportHandler, type TraceServiceOptions } from './grpcTraceService.ts';
import { rawExportDefinition } from './rawExportDefinition.ts';

/** MetricsService/Export with raw bytes in and out: decoding is ours, so a bad payload is INVALID_ARGUMENT. */
export const metricsServiceDefinition = rawExportDefinition(
  'opentelemetry.proto.collector.metrics.v1.MetricsService',
);

export interface MetricsServiceOptions extends Omit<TraceServiceOptions, 'next'> {
  next: Consumer<MetricBatch>;
}

/**
 * The gRPC MetricsService implementation: the same auth, bounds and codes as TraceService.
 * @example server.addService(metricsServiceDefinition, metricsService({ next }))
 */
export function metricsService(options: MetricsServiceOptions): grpc.UntypedServiceImplementation {
  const { next, observe, values = unboundedValues } = options;
  return {
    Export: exportHandler(options, (message) => {
      const request = decodeProtobufMetricsRequest(message);
      const decodedBytes = checkMetricsLimits(request, message.byteLength, values);
      return {
        cost: decodedBytes - message.byteLength,
        send: async (projectId) =>
          encodeMetricsResponse(
            await exportMetrics(next, { projectId, request, received: () => message }, observe),
          ),
      };
    }),
  };
}
