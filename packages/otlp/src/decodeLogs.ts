import { jsonReaders, parseJsonBody, withLimits } from './decodeJson.ts';
import { anyValue, hexOf, keyValues, resource, scope, toBigInt } from './decodeProtobuf.ts';
import { flatStringReader } from './flatStringReader.ts';
import type { LogRecord, LogsRequest, ResourceLogs, ScopeLogs } from './logsModel.ts';
import { logsProtoTypes } from './logsProtoTypes.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import type { AnyValue, KeyValue } from './traceModel.ts';
import { decodedBytesEstimate, unboundedValues, type ValueLimits } from './valueLimits.ts';

type Message = Record<string, unknown>;

function overLimit(path: string, message: string): never {
  throw new OtlpDecodeError(`OTLP request refused: ${path}: ${message}`, { kind: 'limit' });
}

/** Counts the messages of a value and checks its nesting and width against the bounds (also for metrics). */
export function checkValue(value: AnyValue, bounds: ValueLimits, path: string, depth: number): number {
  if (value.type !== 'array' && value.type !== 'kvlist') return 1;
  if (depth + 1 > bounds.maxValueDepth)
    overLimit(path, `values nested deeper than ${bounds.maxValueDepth} (maxValueDepth)`);
  if (value.value.length > bounds.maxValueElements)
    overLimit(path, `more than ${bounds.maxValueElements} elements (maxValueElements)`);
  let messages = 2;
  for (const item of value.value) {
    messages +=
      'key' in item
        ? 1 + checkValue(item.value, bounds, path, depth + 1)
        : checkValue(item, bounds, path, depth + 1);
  }
  return messages;
}

export function checkAttributes(attributes: KeyValue[], bounds: ValueLimits, path: string): number {
  if (attributes.length > bounds.maxAttributes)
    overLimit(path, `more than ${bounds.maxAttributes} attributes (maxAttributes)`);
  let messages = 0;
  for (const kv of attributes) messages += 1 + checkValue(kv.value, bounds, `${path}.${kv.key}`, 0);
  return messages;
}

/**
 * Checks a decoded logs request against the receiver's value bounds (the same ones as spans)
 * and returns its estimated decoded size.
 * @throws OtlpDecodeError of kind `limit` naming the first bound passed.
 * @example const decodedBytes = checkLogsLimits(request, wireBytes, defaultValueLimits);
 */
export function checkLogsLimits(request: LogsRequest, wireBytes: number, bounds: ValueLimits): number {
  let messages = 0;
  request.resourceLogs.forEach((rl, r) => {
    messages += 1 + checkAttributes(rl.resource.attributes, bounds, `resourceLogs[${r}].resource.attributes`);
    rl.scopeLogs.forEach((sl, s) => {
      const at = `resourceLogs[${r}].scopeLogs[${s}]`;
      messages += 1 + checkAttributes(sl.scope.attributes, bounds, `${at}.scope.attributes`);
      sl.logRecords.forEach((record, i) => {
        const rec = `${at}.logRecords[${i}]`;
        messages += 1 + checkAttributes(record.attributes, bounds, `${rec}.attributes`);
        messages += checkValue(record.body, bounds, `${rec}.body`, 0);
      });
    });
  });
  const decodedBytes = decodedBytesEstimate(wireBytes, messages);
  if (decodedBytes > bounds.maxDecodedBytes)
    overLimit('(body)', `decodes to about ${Math.ceil(decodedBytes / 1024 ** 2)} MiB (maxDecodedBytes)`);
  return decodedBytes;
}

function protobufRecord(m: Message): LogRecord {
  return {
    timeUnixNano: toBigInt(m.timeUnixNano, false),
    observedTimeUnixNano: toBigInt(m.observedTimeUnixNano, false),
    severityNumber: (m.severityNumber as number) ?? 0,
    severityText: (m.severityText as string) ?? '',
    body: anyValue(m.body as Message | undefined),
    attributes: keyValues(m.attributes),
    droppedAttributesCount: (m.droppedAttributesCount as number) ?? 0,
    flags: (m.flags as number) ?? 0,
    traceId: hexOf(m.traceId),
    spanId: hexOf(m.spanId),
    eventName: (m.eventName as string) ?? '',
  };
}

/**
 * Decodes an OTLP/protobuf ExportLogsServiceRequest.
 * @throws OtlpDecodeError when the bytes are not a valid message.
 * @example const request = decodeProtobufLogsRequest(body);
 */
export function decodeProtobufLogsRequest(bytes: Uint8Array): LogsRequest {
  let message: Message;
  try {
    message = logsProtoTypes().request.decode(flatStringReader(bytes)) as unknown as Message;
  } catch (error) {
    throw new OtlpDecodeError(`invalid OTLP protobuf payload: ${(error as Error).message}`, { cause: error });
  }
  const resourceLogs = ((message.resourceLogs ?? []) as Message[]).map(
    (rl): ResourceLogs => ({
      resource: resource(rl.resource as Message | undefined),
      schemaUrl: (rl.schemaUrl as string) ?? '',
      scopeLogs: ((rl.scopeLogs ?? []) as Message[]).map(
        (sl): ScopeLogs => ({
          scope: scope(sl.scope as Message | undefined),
          schemaUrl: (sl.schemaUrl as string) ?? '',
          logRecords: ((sl.logRecords ?? []) as Message[]).map(protobufRecord),
        }),
      ),
    }),
  );
  return { resourceLogs };
}

/** OTLP SeverityNumber names, as OTLP/JSON may send them (`SEVERITY_NUMBER_INFO`). */
const severityNames: Record<string, number> = Object.fromEntries(
  ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level, l) =>
    ['', '2', '3', '4'].map((n, i) => [`SEVERITY_NUMBER_${level}${n}`, l * 4 + i + 1]),
  ),
);
severityNames.SEVERITY_NUMBER_UNSPECIFIED = 0;

function jsonRecord(value: unknown, path: string): LogRecord {
  const {
    field,
    object,
    string,
    uint32,
    int64,
    enumValue,
    hexId,
    keyValues: kvs,
    anyValue: any,
  } = jsonReaders;
  const obj = object(value, path) ?? {};
  return {
    timeUnixNano: int64(field(obj, 'timeUnixNano'), `${path}.timeUnixNano`, false),
    observedTimeUnixNano: int64(field(obj, 'observedTimeUnixNano'), `${path}.observedTimeUnixNano`, false),
    severityNumber: enumValue(field(obj, 'severityNumber'), severityNames, `${path}.severityNumber`),
    severityText: string(field(obj, 'severityText'), `${path}.severityText`),
    body: any(field(obj, 'body'), `${path}.body`, 0),
    attributes: kvs(field(obj, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(obj, 'droppedAttributesCount'), `${path}.droppedAttributesCount`),
    flags: uint32(field(obj, 'flags'), `${path}.flags`),
    traceId: hexId(field(obj, 'traceId'), `${path}.traceId`),
    spanId: hexId(field(obj, 'spanId'), `${path}.spanId`),
    eventName: string(field(obj, 'eventName'), `${path}.eventName`),
  };
}

/**
 * Decodes an OTLP/JSON ExportLogsServiceRequest (OTLP specification, "JSON Protobuf Encoding":
 * hex ids, enums as numbers or names), within `bounds`.
 * @throws OtlpDecodeError naming the first wrong field, or the first bound passed (kind `limit`).
 * @example const request = decodeJsonLogsRequest('{"resourceLogs":[]}', defaultValueLimits);
 */
export function decodeJsonLogsRequest(
  body: string | Uint8Array,
  bounds: ValueLimits = unboundedValues,
  reserve?: (decodedBytes: number) => void,
): LogsRequest {
  const parsed = parseJsonBody(body, bounds, reserve);
  const { object, resourceScopes, fail } = jsonReaders;
  return withLimits(bounds, () => {
    const root = object(parsed, '(body)') ?? fail('(body)', 'expected an object, got null');
    return { resourceLogs: resourceScopes(root, 'resourceLogs', 'scopeLogs', 'logRecords', jsonRecord) };
  });
}

/** A logs request with the records that can never be stored taken out, and why. */
export interface LogsScreening {
  accepted: LogsRequest;
  acceptedLogRecords: number;
  rejectedLogRecords: number;
  errorMessage: string;
}

const hexOfLength = (id: string, length: number) =>
  id === '' || (id.length === length && /^[0-9a-f]+$/.test(id));

/**
 * Takes out the log records whose trace or span id has the wrong length (OTLP logs data model:
 * TraceId is 16 bytes, SpanId 8, both optional), to be reported as a partial success.
 * @example const { accepted, rejectedLogRecords } = screenLogsRequest(request);
 */
export function screenLogsRequest(request: LogsRequest): LogsScreening {
  let accepted = 0;
  let rejected = 0;
  let firstProblem = '';
  const resourceLogs = request.resourceLogs.map((rl) => ({
    ...rl,
    scopeLogs: rl.scopeLogs.map((sl) => ({
      ...sl,
      logRecords: sl.logRecords.filter((record) => {
        const ok = hexOfLength(record.traceId, 32) && hexOfLength(record.spanId, 16);
        if (ok) accepted++;
        else {
          rejected++;
          firstProblem ||= `log record with trace id "${record.traceId}" / span id "${record.spanId}": ids must be 16 and 8 bytes`;
        }
        return ok;
      }),
    })),
  }));
  return {
    accepted: { resourceLogs },
    acceptedLogRecords: accepted,
    rejectedLogRecords: rejected,
    errorMessage: rejected > 0 ? `${rejected} log records rejected; first: ${firstProblem}` : '',
  };
}

/**
 * The OTLP/protobuf ExportLogsServiceResponse: partial success only when something was rejected
 * (OTLP specification, "Partial Success").
 * @example encodeLogsResponse({ rejectedLogRecords: 0, errorMessage: '' })
 */
export function encodeLogsResponse(outcome: {
  rejectedLogRecords: number;
  errorMessage: string;
}): Uint8Array {
  const { response } = logsProtoTypes();
  const plain =
    outcome.rejectedLogRecords > 0 || outcome.errorMessage !== ''
      ? {
          partialSuccess: {
            rejectedLogRecords: String(outcome.rejectedLogRecords),
            errorMessage: outcome.errorMessage,
          },
        }
      : {};
  return response.encode(response.fromObject(plain)).finish();
}

/**
 * The OTLP/JSON ExportLogsServiceResponse (int64 as a decimal string).
 * @example c.json(jsonLogsResponse(outcome))
 */
export function jsonLogsResponse(outcome: {
  rejectedLogRecords: number;
  errorMessage: string;
}): Record<string, unknown> {
  if (outcome.rejectedLogRecords === 0 && outcome.errorMessage === '') return {};
  return {
    partialSuccess: {
      rejectedLogRecords: String(outcome.rejectedLogRecords),
      errorMessage: outcome.errorMessage,
    },
  };
}
