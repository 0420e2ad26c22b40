import { encodeProtobufLogsRequest, type LogRecord, type LogsRequest } from '@llmp/otlp';

/** One Kafka record of the `otlp_logs` topic. */
export interface LogKafkaRecord {
  /**
   * Lowercase hex trace id, so a trace's log records share its spans' partition; for records
   * without a trace, the `service.name` of their resource (`unknown_service` when it has none),
   * so one service's untraced logs stay in order on one partition.
   */
  key: string;
  /** OTLP/protobuf ExportLogsServiceRequest (`otlp_proto`) holding this key's records only. */
  value: Uint8Array;
  logRecordCount: number;
}

/** A single log record whose Kafka record alone exceeds the size bound. */
export class OversizedLogRecordError extends Error {
  readonly key: string;
  readonly size: number;
  constructor(key: string, size: number) {
    super(`a log record of key ${key} encodes to ${size} bytes, over the record limit`);
    this.name = 'OversizedLogRecordError';
    this.key = key;
    this.size = size;
  }
}

/** Where a record sits in the request: its resource and scope indexes. */
interface Placed {
  r: number;
  s: number;
  record: LogRecord;
}

const serviceOf = (request: LogsRequest, r: number): string => {
  const found = request.resourceLogs[r]!.resource.attributes.find((kv) => kv.key === 'service.name');
  return found?.value.type === 'string' && found.value.value !== '' ? found.value.value : 'unknown_service';
};

/** The request holding only `placed`, with their resources and scopes as they were received. */
function subRequest(request: LogsRequest, placed: Placed[]): LogsRequest {
  const resourceLogs: LogsRequest['resourceLogs'] = [];
  let lastR = -1;
  let lastS = -1;
  for (const { r, s, record } of placed) {
    if (r !== lastR) {
      const rl = request.resourceLogs[r]!;
      resourceLogs.push({ resource: rl.resource, schemaUrl: rl.schemaUrl, scopeLogs: [] });
      lastR = r;
      lastS = -1;
    }
    const scopes = resourceLogs.at(-1)!.scopeLogs;
    if (s !== lastS) {
      const sl = request.resourceLogs[r]!.scopeLogs[s]!;
      scopes.push({ scope: sl.scope, schemaUrl: sl.schemaUrl, logRecords: [] });
      lastS = s;
    }
    scopes.at(-1)!.logRecords.push(record);
  }
  return { resourceLogs };
}

function encodeBounded(
  request: LogsRequest,
  key: string,
  placed: Placed[],
  maxBytes: number,
  out: LogKafkaRecord[],
): void {
  const value = encodeProtobufLogsRequest(subRequest(request, placed));
  if (value.byteLength <= maxBytes) {
    out.push({ key, value, logRecordCount: placed.length });
    return;
  }
  if (placed.length === 1) throw new OversizedLogRecordError(key, value.byteLength);
  // Halve until each part fits: many records of one trace become several Kafka records.
  const middle = Math.ceil(placed.length / 2);
  encodeBounded(request, key, placed.slice(0, middle), maxBytes, out);
  encodeBounded(request, key, placed.slice(middle), maxBytes, out);
}

/**
 * Splits a logs request into one Kafka record per trace id (several when a trace's records would
 * exceed `maxRecordBytes`), and per service for records without a trace, each value a
 * self-contained OTLP/protobuf ExportLogsServiceRequest readable by an OpenTelemetry Collector
 * kafkareceiver with the `otlp_proto` encoding; records keep their order within a key.
 * @throws OversizedLogRecordError when one record alone cannot fit a Kafka record.
 * @example for (const r of logKafkaRecords(batch.request, 1_000_000)) producer.send(r.key, r.value)
 */
export function logKafkaRecords(request: LogsRequest, maxRecordBytes: number): LogKafkaRecord[] {
  const byKey = new Map<string, Placed[]>();
  request.resourceLogs.forEach((rl, r) => {
    const service = serviceOf(request, r);
    rl.scopeLogs.forEach((sl, s) => {
      for (const record of sl.logRecords) {
        const key = record.traceId || service;
        const list = byKey.get(key);
        if (list) list.push({ r, s, record });
        else byKey.set(key, [{ r, s, record }]);
      }
    });
  });
  const records: LogKafkaRecord[] = [];
  for (const [key, placed] of byKey) encodeBounded(request, key, placed, maxRecordBytes, records);
  return records;
}
