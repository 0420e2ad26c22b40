import { isUtf8 } from 'node:buffer';
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

// Protobuf wire types (protobuf encoding guide, "Message Structure").
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/**
 * Thrown inside the decoder when the bytes leave the plain shape it reads (a known field with
 * another wire type, a group, a singular message sent twice, a oneof with two members, bad
 * framing or UTF-8): the caller then decodes with protobufjs, whose result or error stands.
 */
const unusual = Symbol('unusual');

/** AnyValue arrays and kvlists nested deeper than this go to protobufjs. */
const maxValueDepth = 64;

/**
 * Buffer's own slice-to-string methods, which `toString(encoding, start, end)` calls after
 * checking its arguments (the decoder has checked them): untyped in @types/node, in Node since 0.x.
 */
type TextBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
};

/** The state of one decode: module-level so the hot readers take no closure or `this`. */
let buf = Buffer.alloc(0) as TextBuffer;
let pos = 0;
/** The caller's object: a Buffer or a plain Uint8Array, whose bytes values keep its class. */
let source: Uint8Array = buf;
let view = new DataView(buf.buffer);
/** 64-bit varints as two 32-bit halves. */
let varLow = 0;
let varHigh = 0;

function fail(): never {
  throw unusual;
}

/** A varint of at most 10 bytes into varLow and varHigh, as protobufjs reads it (low 64 bits). */
function varint64(end: number): void {
  let low = 0;
  let high = 0;
  let byte = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) fail();
    byte = buf[pos++]!;
    low |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      varLow = low >>> 0;
      varHigh = 0;
      return;
    }
  }
  if (pos >= end) fail();
  byte = buf[pos++]!;
  low |= (byte & 0x0f) << 28;
  high = (byte & 0x7f) >> 4;
  if (byte >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (shift > 31 || pos >= end) fail();
      byte = buf[pos++]!;
      high |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
  }
  varLow = low >>> 0;
  varHigh = high >>> 0;
}

/** A tag or a length: at most 5 bytes and below 2^31 (longer ones go to protobufjs). */
function varint32(end: number): number {
  // Tags and most lengths take one or two bytes.
  if (pos + 1 < end) {
    const first = buf[pos]!;
    if (first < 0x80) {
      pos++;
      return first;
    }
    const second = buf[pos + 1]!;
    if (second < 0x80) {
      pos += 2;
      return (first & 0x7f) | (second << 7);
    }
  }
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) fail();
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value < 0x8000_0000 ? value : fail();
  }
  return fail();
}

/** The end of a length-delimited value that starts at pos, inside a message ending at `end`. */
function lengthEnd(end: number): number {
  const length = varint32(end);
  const to = pos + length;
  return to <= end ? to : fail();
}

function skip(wire: number, end: number): void {
  if (wire === VARINT) varint64(end);
  else if (wire === LEN) pos = lengthEnd(end);
  else {
    const size = wire === I64 ? 8 : wire === I32 ? 4 : fail();
    if (pos + size > end) fail();
    pos += size;
  }
}

/** Attribute keys and other short ASCII texts repeat from span to span: one string each. */
const cacheSize = 4096;
const cachedStrings: string[] = new Array(cacheSize).fill('');
const maxCachedLength = 40;

/** A short ASCII text, from the cache when the same bytes were read before. */
function shortAscii(start: number, end: number): string {
  let hash = end - start;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (cacheSize - 1);
  const cached = cachedStrings[slot]!;
  if (cached.length === end - start) {
    let i = 0;
    while (i < cached.length && cached.charCodeAt(i) === buf[start + i]) i++;
    if (i === cached.length) return cached;
  }
  const text = buf.latin1Slice(start, end);
  cachedStrings[slot] = text;
  return text;
}

/** A proto3 string field: UTF-8, which protobufjs (flatStringReader) refuses otherwise. */
function string(end: number): string {
  const to = lengthEnd(end);
  const start = pos;
  pos = to;
  if (to === start) return '';
  if (to - start <= maxCachedLength) {
    let i = start;
    while (i < to && buf[i]! < 0x80) i++;
    if (i === to) return shortAscii(start, to);
  }
  if (!isUtf8(buf.subarray(start, to))) fail();
  return buf.utf8Slice(start, to);
}

/** A bytes field as protobufjs gives it: a view of the caller's bytes, or an empty one of its class. */
function bytes(end: number): Uint8Array {
  const to = lengthEnd(end);
  const start = pos;
  pos = to;
  if (to > start) return source.subarray(start, to);
  return source === buf ? Buffer.alloc(0) : new Uint8Array(0);
}

/** A span id (or any bytes) as lowercase hex ('' when empty), as decodeProtobuf's hexOf gives it. */
function hexId(end: number): string {
  const to = lengthEnd(end);
  const start = pos;
  pos = to;
  return to === start ? '' : buf.hexSlice(start, to);
}

/** The previous trace id read, and its hex: spans of one trace mostly come together. */
let lastTraceStart = -1;
let lastTraceLength = 0;
let lastTraceHex = '';

/** A span's trace id as hexId reads it, made once for a run of spans of one trace. */
function traceHex(end: number): string {
  const to = lengthEnd(end);
  const start = pos;
  pos = to;
  const length = to - start;
  if (length === 0) return '';
  if (length === lastTraceLength && lastTraceStart >= 0) {
    let i = 0;
    while (i < length && buf[start + i] === buf[lastTraceStart + i]) i++;
    if (i === length) return lastTraceHex;
  }
  lastTraceStart = start;
  lastTraceLength = length;
  lastTraceHex = buf.hexSlice(start, to);
  return lastTraceHex;
}

function fixed64(end: number): bigint {
  if (pos + 8 > end) fail();
  const value = view.getBigUint64(pos, true);
  pos += 8;
  return value;
}

function fixed32(end: number): number {
  if (pos + 4 > end) fail();
  const value = view.getUint32(pos, true);
  pos += 4;
  return value;
}

/** A uint32 field: protobufjs keeps the low 32 bits of the varint. */
function uint32(end: number): number {
  varint64(end);
  return varLow;
}

/** An int32 or enum field. */
function int32(end: number): number {
  varint64(end);
  return varLow | 0;
}

const emptyValue = (): AnyValue => ({ type: 'empty' });

function anyValue(end: number, depth: number): AnyValue {
  if (depth > maxValueDepth) fail();
  let value: AnyValue | undefined;
  let member = 0;
  while (pos < end) {
    const tag = varint32(end);
    const field = tag >>> 3;
    const wire = tag & 7;
    // Two members of the oneof: protobufjs keeps both, and the model's order of preference
    // picks one; a member repeated: the last wins, unless it is a message (protobufjs replaces
    // it, Google merges). Both are left to protobufjs.
    if (field >= 1 && field <= 7 && member !== 0 && (member !== field || field === 5 || field === 6)) fail();
    if (field === 1 && wire === LEN) value = { type: 'string', value: string(end) };
    else if (field === 2 && wire === VARINT) {
      varint64(end);
      value = { type: 'bool', value: varLow !== 0 };
    } else if (field === 3 && wire === VARINT) {
      varint64(end);
      value = { type: 'int', value: BigInt.asIntN(64, (BigInt(varHigh) << 32n) | BigInt(varLow)) };
    } else if (field === 4 && wire === I64) {
      if (pos + 8 > end) fail();
      value = { type: 'double', value: view.getFloat64(pos, true) };
      pos += 8;
    } else if (field === 5 && wire === LEN) {
      const to = lengthEnd(end);
      const values: AnyValue[] = [];
      while (pos < to) {
        const inner = varint32(to);
        if (inner === 0x0a) values.push(anyValue(lengthEnd(to), depth + 1));
        else if (inner >>> 3 === 1) fail();
        else skip(inner & 7, to);
      }
      value = { type: 'array', value: values };
    } else if (field === 6 && wire === LEN) {
      const to = lengthEnd(end);
      const values: KeyValue[] = [];
      while (pos < to) {
        const inner = varint32(to);
        if (inner === 0x0a) values.push(keyValue(lengthEnd(to), depth + 1));
        else if (inner >>> 3 === 1) fail();
        else skip(inner & 7, to);
      }
      value = { type: 'kvlist', value: values };
    } else if (field === 7 && wire === LEN) value = { type: 'bytes', value: bytes(end) };
    else {
      unknown(field, wire, 7, end);
      continue;
    }
    member = field;
  }
  return value ?? emptyValue();
}

/** Skips an unknown field; a known field number with another wire type goes to protobufjs. */
function unknown(field: number, wire: number, known: number, end: number): void {
  if (field === 0 || field <= known) fail();
  skip(wire, end);
}

function keyValue(end: number, depth: number): KeyValue {
  let key = '';
  let value: AnyValue | undefined;
  while (pos < end) {
    const tag = varint32(end);
    if (tag === 0x0a) key = string(end);
    else if (tag === 0x12) {
      if (value) fail();
      value = anyValue(lengthEnd(end), depth);
    } else unknown(tag >>> 3, tag & 7, 2, end);
  }
  return { key, value: value ?? emptyValue() };
}

function keyValueAt(end: number): KeyValue {
  return keyValue(lengthEnd(end), 0);
}

function resource(end: number): Resource {
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (pos < end) {
    const tag = varint32(end);
    if (tag === 0x0a) attributes.push(keyValueAt(end));
    else if (tag === 0x10) droppedAttributesCount = uint32(end);
    else unknown(tag >>> 3, tag & 7, 2, end);
  }
  return { attributes, droppedAttributesCount };
}

function scope(end: number): InstrumentationScope {
  let name = '';
  let version = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (pos < end) {
    const tag = varint32(end);
    if (tag === 0x0a) name = string(end);
    else if (tag === 0x12) version = string(end);
    else if (tag === 0x1a) attributes.push(keyValueAt(end));
    else if (tag === 0x20) droppedAttributesCount = uint32(end);
    else unknown(tag >>> 3, tag & 7, 4, end);
  }
  return { name, version, attributes, droppedAttributesCount };
}

function event(end: number): SpanEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (pos < end) {
    const tag = varint32(end);
    if (tag === 0x09) timeUnixNano = fixed64(end);
    else if (tag === 0x12) name = string(end);
    else if (tag === 0x1a) attributes.push(keyValueAt(end));
    else if (tag === 0x20) droppedAttributesCount = uint32(end);
    else unknown(tag >>> 3, tag & 7, 4, end);
  }
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

function link(end: number): SpanLink {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  while (pos < end) {
    const tag = varint32(end);
    if (tag === 0x0a) traceId = hexId(end);
    else if (tag === 0x12) spanId = hexId(end);
    else if (tag === 0x1a) traceState = string(end);
    else if (tag === 0x22) attributes.push(keyValueAt(end));
    else if (tag === 0x28) droppedAttributesCount = uint32(end);
    else if (tag === 0x35) flags = fixed32(end);
    else unknown(tag >>> 3, tag & 7, 6, end);
  }
  return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
}

function span(end: number): Span {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let parentSpanId = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  const events: SpanEvent[] = [];
  let droppedEventsCount = 0;
  const links: SpanLink[] = [];
  let droppedLinksCount = 0;
  let statusSeen = false;
  let code = 0;
  let message = '';
  while (pos < end) {
    const tag = varint32(end);
    switch (tag) {
      case 0x0a:
        traceId = traceHex(end);
        break;
      case 0x12:
        spanId = hexId(end);
        break;
      case 0x1a:
        traceState = string(end);
        break;
      case 0x22:
        parentSpanId = hexId(end);
        break;
      case 0x2a:
        name = string(end);
        break;
      case 0x30:
        kind = int32(end);
        break;
      case 0x39:
        startTimeUnixNano = fixed64(end);
        break;
      case 0x41:
        endTimeUnixNano = fixed64(end);
        break;
      case 0x4a:
        attributes.push(keyValueAt(end));
        break;
      case 0x50:
        droppedAttributesCount = uint32(end);
        break;
      case 0x5a:
        events.push(event(lengthEnd(end)));
        break;
      case 0x60:
        droppedEventsCount = uint32(end);
        break;
      case 0x6a:
        links.push(link(lengthEnd(end)));
        break;
      case 0x70:
        droppedLinksCount = uint32(end);
        break;
      case 0x7a: {
        if (statusSeen) fail();
        statusSeen = true;
        const to = lengthEnd(end);
        while (pos < to) {
          const inner = varint32(to);
          if (inner === 0x12) message = string(to);
          else if (inner === 0x18) code = int32(to);
          else unknown(inner >>> 3, inner & 7, 3, to);
        }
        break;
      }
      case 133:
        // fixed32 flags = 16: tag (16 << 3) | I32, 0x85 0x01 on the wire.
        flags = fixed32(end);
        break;
      default:
        unknown(tag >>> 3, tag & 7, 16, end);
    }
  }
  return {
    traceId,
    spanId,
    traceState,
    parentSpanId,
    flags,
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    status: { code, message },
  };
}

function scopeSpans(end: number): ScopeSpans {
  let scopeValue: InstrumentationScope | undefined;
  let schemaUrl = '';
  const spans: Span[] = [];
  while (pos < end) {
    const tag = varint32(end);
    if (tag === 0x12) spans.push(span(lengthEnd(end)));
    else if (tag === 0x0a) {
      if (scopeValue) fail();
      scopeValue = scope(lengthEnd(end));
    } else if (tag === 0x1a) schemaUrl = string(end);
    else unknown(tag >>> 3, tag & 7, 3, end);
  }
  return {
    scope: scopeValue ?? { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
    schemaUrl,
    spans,
  };
}

function resourceSpans(end: number): ResourceSpans {
  let resourceValue: Resource | undefined;
  let schemaUrl = '';
  const list: ScopeSpans[] = [];
  while (pos < end) {
    const tag = varint32(end);
    if (tag === 0x12) list.push(scopeSpans(lengthEnd(end)));
    else if (tag === 0x0a) {
      if (resourceValue) fail();
      resourceValue = resource(lengthEnd(end));
    } else if (tag === 0x1a) schemaUrl = string(end);
    else unknown(tag >>> 3, tag & 7, 3, end);
  }
  return {
    resource: resourceValue ?? { attributes: [], droppedAttributesCount: 0 },
    schemaUrl,
    scopeSpans: list,
  };
}

/**
 * Decodes OTLP/protobuf ExportTraceServiceRequest bytes straight into the trace model, without
 * protobufjs's message objects in between (issue 21: the Node side of the ingester and of
 * `llmp start`). Returns undefined for bytes outside the plain shape senders write (see
 * `unusual`), which the caller decodes with protobufjs; otherwise the result is the one
 * protobufjs and decodeProtobuf's conversion give (decodeWireRequest.test.ts checks both on
 * random and damaged requests).
 * @example const request = decodeWireRequest(body) ?? decodeWithProtobufjs(body);
 */
export function decodeWireRequest(bytes: Uint8Array): TraceRequest | undefined {
  source = bytes;
  buf = (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  ) as TextBuffer;
  view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  lastTraceStart = -1;
  lastTraceLength = 0;
  try {
    const end = bytes.byteLength;
    const list: ResourceSpans[] = [];
    while (pos < end) {
      const tag = varint32(end);
      if (tag === 0x0a) list.push(resourceSpans(lengthEnd(end)));
      else unknown(tag >>> 3, tag & 7, 1, end);
    }
    return { resourceSpans: list };
  } catch (error) {
    if (error === unusual) return undefined;
    // A stack overflow or any other surprise: protobufjs decides.
    return undefined;
  } finally {
    // Keep no reference to the caller's bytes.
    source = buf = emptyBuffer;
    view = emptyView;
  }
}

const emptyBuffer = Buffer.alloc(0) as TextBuffer;
const emptyView = new DataView(emptyBuffer.buffer, 0, 0);
