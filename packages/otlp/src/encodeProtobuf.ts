import { protoTypes } from './protoTypes.ts';
import type { AnyValue, KeyValue, Span, TraceRequest } from './traceModel.ts';

// Builds the plain objects protobufjs' fromObject accepts: ids as bytes, 64-bit values as
// decimal strings (protobufjs turns them into its Long type).

/** A hex id as protobuf bytes (empty for ''). */
export function idBytes(hex: string): Uint8Array {
  return hex === '' ? new Uint8Array(0) : new Uint8Array(Buffer.from(hex, 'hex'));
}

/** An AnyValue as the plain object protobufjs' fromObject takes. */
export function anyValue(value: AnyValue): Record<string, unknown> {
  switch (value.type) {
    case 'string':
      return { stringValue: value.value };
    case 'bool':
      return { boolValue: value.value };
    case 'int':
      return { intValue: value.value.toString() };
    case 'double':
      return { doubleValue: value.value };
    case 'bytes':
      return { bytesValue: value.value };
    case 'array':
      return { arrayValue: { values: value.value.map(anyValue) } };
    case 'kvlist':
      return { kvlistValue: { values: keyValues(value.value) } };
    case 'empty':
      return {};
  }
}

/** KeyValues as the plain objects protobufjs' fromObject takes. */
export function keyValues(list: KeyValue[]): Array<Record<string, unknown>> {
  return list.map((kv) => ({ key: kv.key, value: anyValue(kv.value) }));
}

function span(s: Span): Record<string, unknown> {
  return {
    traceId: idBytes(s.traceId),
    spanId: idBytes(s.spanId),
    traceState: s.traceState,
    parentSpanId: idBytes(s.parentSpanId),
    flags: s.flags,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano.toString(),
    endTimeUnixNano: s.endTimeUnixNano.toString(),
    attributes: keyValues(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({
      timeUnixNano: e.timeUnixNano.toString(),
      name: e.name,
      attributes: keyValues(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({
      traceId: idBytes(l.traceId),
      spanId: idBytes(l.spanId),
      traceState: l.traceState,
      attributes: keyValues(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
      flags: l.flags,
    })),
    droppedLinksCount: s.droppedLinksCount,
    status: { code: s.status.code, message: s.status.message },
  };
}

/**
 * Encodes a request as OTLP/protobuf ExportTraceServiceRequest bytes.
 * @example const bytes = encodeProtobufRequest({ resourceSpans: [] });
 */
export function encodeProtobufRequest(request: TraceRequest): Uint8Array {
  const { request: type } = protoTypes();
  const plain = {
    resourceSpans: request.resourceSpans.map((rs) => ({
      resource: {
        attributes: keyValues(rs.resource.attributes),
        droppedAttributesCount: rs.resource.droppedAttributesCount,
      },
      schemaUrl: rs.schemaUrl,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: {
          name: ss.scope.name,
          version: ss.scope.version,
          attributes: keyValues(ss.scope.attributes),
          droppedAttributesCount: ss.scope.droppedAttributesCount,
        },
        schemaUrl: ss.schemaUrl,
        spans: ss.spans.map(span),
      })),
    })),
  };
  return type.encode(type.fromObject(plain)).finish();
}
