import type * as grpc from '@grpc/grpc-js';
import {
  checkLogsLimits,
  decodeProtobufLogsRequest,
  encodeLogsResponse,
  type LogBatch,
  unboundedValues,
} from '@llmp/otlp';
import type { Consumer } from '@llmp/pipeline';
import { exportLogs } from './exportLogs.ts';
import { exportHandler, type TraceServiceOptions } from './grpcTraceService.ts';
import { rawExportDefinition } from './rawExportDefinition.ts';

/** LogsService/Export with raw bytes in and out: decoding is ours, so a bad payload is INVALID_ARGUMENT. */
export const logsServiceDefinition = rawExportDefinition('opentelemetry.proto.collector.logs.v1.LogsService');

export interface LogsServiceOptions extends Omit<TraceServiceOptions, 'next'> {
  next: Consumer<LogBatch>;
}

/**
 * The gRPC LogsService implementation: the same auth, bounds and codes as TraceService.
 * @example server.addService(logsServiceDefinition, logsService({ next }))
 */
export function logsService(options: LogsServiceOptions): grpc.UntypedServiceImplementation {
  const { next, observe, values = unboundedValues } = options;
  return {
    Export: exportHandler(options, (message) => {
      const request = decodeProtobufLogsRequest(message);
      const decodedBytes = checkLogsLimits(request, message.byteLength, values);
      return {
        cost: decodedBytes - message.byteLength,
        send: async (projectId) =>
          encodeLogsResponse(await exportLogs(next, { projectId, request }, observe)),
      };
    }),
  };
}
