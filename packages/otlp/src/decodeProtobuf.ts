import { decodeWireRequest } from './decodeWireRequest.ts';
import { flatStringReader } from './flatStringReader.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import { protoTypes } from './protoTypes.ts';
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  Resource,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  TraceRequest,
} from './traceModel.ts';

// protobufjs messages: set fields are own properties, defaults live on the prototype.
type Message = Record<string, unknown>;
interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

const has = (m: Message, key: string) => Object.hasOwn(m, key);

export function toBigInt(value: unknown, signed: boolean): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'bigint') return value;
  const long = value as LongLike;
  const bits = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
  return signed ? BigInt.asIntN(64, bits) : bits;
}

export function hexOf(bytes: unknown): string {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return '';
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function anyValue(m: Message | undefined | null): AnyValue {
  if (!m) return { type: 'empty' };
  if (has(m, 'stringValue')) return { type: 'string', value: m.stringValue as string };
  if (has(m, 'boolValue')) return { type: 'bool', value: m.boolValue as boolean };
  if (has(m, 'intValue')) return { type: 'int', value: toBigInt(m.intValue, true) };
  if (has(m, 'doubleValue')) return { type: 'double', value: m.doubleValue as number };
  if (has(m, 'bytesValue')) return { type: 'bytes', value: m.bytesValue as Uint8Array };
  if (has(m, 'arrayValue')) {
    const values = ((m.arrayValue as Message).values ?? []) as Message[];
    return { type: 'array', value: values.map(anyValue) };
  }
  if (has(m, 'kvlistValue')) {
    return { type: 'kvlist', value: keyValues((m.kvlistValue as Message).values) };
  }
  return { type: 'empty' };
}

export function keyValues(list: unknown): KeyValue[] {
  const items = (list ?? []) as Message[];
  return items.map((kv) => ({ key: kv.key as string, value: anyValue(kv.value as Message | undefined) }));
}

export function resource(m: Message | undefined | null): Resource {
  return {
    attributes: keyValues(m?.attributes),
    droppedAttributesCount: (m?.droppedAttributesCount as number) ?? 0,
  };
}

export function scope(m: Message | undefined | null): InstrumentationScope {
  return {
    name: (m?.name as string) ?? '',
    version: (m?.version as string) ?? '',
    attributes: keyValues(m?.attributes),
    droppedAttributesCount: (m?.droppedAttributesCount as number) ?? 0,
  };
}

function event(m: Message): SpanEvent {
  return {
    timeUnixNano: toBigInt(m.timeUnixNano, false),
    name: m.name as string,
    attributes: keyValues(m.attributes),
    droppedAttributesCount: m.droppedAttributesCount as number,
  };
}

function link(m: Message): SpanLink {
  return {
    traceId: hexOf(m.traceId),
    spanId: hexOf(m.spanId),
    traceState: m.traceState as string,
    attributes: keyValues(m.attributes),
    droppedAttributesCount: m.droppedAttributesCount as number,
    flags: m.flags as number,
  };
}

function span(m: Message): Span {
  const status = m.status as Message | null | undefined;
  return {
    traceId: hexOf(m.traceId),
    spanId: hexOf(m.spanId),
    traceState: m.traceState as string,
    parentSpanId: hexOf(m.parentSpanId),
    flags: m.flags as number,
    name: m.name as string,
    kind: m.kind as number,
    startTimeUnixNano: toBigInt(m.startTimeUnixNano, false),
    endTimeUnixNano: toBigInt(m.endTimeUnixNano, false),
    attributes: keyValues(m.attributes),
    droppedAttributesCount: m.droppedAttributesCount as number,
    events: ((m.events ?? []) as Message[]).map(event),
    droppedEventsCount: m.droppedEventsCount as number,
    links: ((m.links ?? []) as Message[]).map(link),
    droppedLinksCount: m.droppedLinksCount as number,
    status: { code: (status?.code as number) ?? 0, message: (status?.message as string) ?? '' },
  };
}

/**
 * Decodes one OTLP/protobuf Span message.
 * @throws OtlpDecodeError when the bytes are not a valid message.
 * @example const { name } = decodeProtobufSpan(spanBytes);
 */
export function decodeProtobufSpan(bytes: Uint8Array): Span {
  try {
    return span(protoTypes().span.decode(flatStringReader(bytes)) as unknown as Message);
  } catch (error) {
    throw new OtlpDecodeError(`invalid OTLP protobuf span: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Decodes an OTLP/protobuf ExportTraceServiceRequest: straight from the bytes (decodeWireRequest)
 * where they have the plain shape senders write, else through protobufjs, whose result or error
 * stands for the rest.
 * @throws OtlpDecodeError when the bytes are not a valid message.
 * @example const request = decodeProtobufRequest(body);
 */
export function decodeProtobufRequest(bytes: Uint8Array): TraceRequest {
  return decodeWireRequest(bytes) ?? decodeProtobufjsRequest(bytes);
}

/**
 * decodeProtobufRequest through protobufjs's messages: what decodeWireRequest must agree with.
 * @throws OtlpDecodeError when the bytes are not a valid message.
 * @example expect(decodeWireRequest(body)).toEqual(decodeProtobufjsRequest(body));
 */
export function decodeProtobufjsRequest(bytes: Uint8Array): TraceRequest {
  let message: Message;
  try {
    message = protoTypes().request.decode(flatStringReader(bytes)) as unknown as Message;
  } catch (error) {
    throw new OtlpDecodeError(`invalid OTLP protobuf payload: ${(error as Error).message}`, { cause: error });
  }
  const resourceSpans = ((message.resourceSpans ?? []) as Message[]).map(
    (rs): ResourceSpans => ({
      resource: resource(rs.resource as Message | undefined),
      schemaUrl: rs.schemaUrl as string,
      scopeSpans: ((rs.scopeSpans ?? []) as Message[]).map(
        (ss): ScopeSpans => ({
          scope: scope(ss.scope as Message | undefined),
          schemaUrl: ss.schemaUrl as string,
          spans: ((ss.spans ?? []) as Message[]).map(span),
        }),
      ),
    }),
  );
  return { resourceSpans };
}
