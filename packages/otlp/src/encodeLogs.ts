import { idBytes, keyValues, anyValue as plainAnyValue } from './encodeProtobuf.ts';
import type { LogRecord, LogsRequest } from './logsModel.ts';
import { logsProtoTypes } from './logsProtoTypes.ts';

function logRecord(r: LogRecord): Record<string, unknown> {
  return {
    timeUnixNano: r.timeUnixNano.toString(),
    observedTimeUnixNano: r.observedTimeUnixNano.toString(),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    ...(r.body.type === 'empty' ? {} : { body: plainAnyValue(r.body) }),
    attributes: keyValues(r.attributes),
    droppedAttributesCount: r.droppedAttributesCount,
    flags: r.flags,
    traceId: idBytes(r.traceId),
    spanId: idBytes(r.spanId),
    eventName: r.eventName,
  };
}

/**
 * Encodes a logs request as OTLP/protobuf ExportLogsServiceRequest bytes (the Collector's
 * `otlp_proto` encoding of a Kafka record on `otlp_logs`).
 * @example const bytes = encodeProtobufLogsRequest({ resourceLogs: [] });
 */
export function encodeProtobufLogsRequest(request: LogsRequest): Uint8Array {
  const { request: type } = logsProtoTypes();
  const plain = {
    resourceLogs: request.resourceLogs.map((rl) => ({
      resource: {
        attributes: keyValues(rl.resource.attributes),
        droppedAttributesCount: rl.resource.droppedAttributesCount,
      },
      schemaUrl: rl.schemaUrl,
      scopeLogs: rl.scopeLogs.map((sl) => ({
        scope: {
          name: sl.scope.name,
          version: sl.scope.version,
          attributes: keyValues(sl.scope.attributes),
          droppedAttributesCount: sl.scope.droppedAttributesCount,
        },
        schemaUrl: sl.schemaUrl,
        logRecords: sl.logRecords.map(logRecord),
      })),
    })),
  };
  return type.encode(type.fromObject(plain)).finish();
}
