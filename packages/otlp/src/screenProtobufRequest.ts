import { isUtf8 } from 'node:buffer';
import { decodeProtobufSpan } from './decodeProtobuf.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import { maxStorableNanos, spanProblem } from './rejectInvalidSpans.ts';
import { decodedBytesEstimate, unboundedValues, type ValueLimits } from './valueLimits.ts';
import type { WireRequest, WireResource, WireScope, WireSpan } from './wireSpans.ts';

// Protobuf wire types (protobuf encoding guide, "Message Structure").
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const I32 = 5;

/** Expected wire type of each known field, and the message schema of message-typed fields. */
interface Schema {
  [field: number]: Rule | undefined;
}
interface Rule {
  wire: number;
  child?: Schema;
  utf8?: true;
  /** A repeated field whose occurrences one of the `ValueLimits` bounds. */
  counted?: 'attributes' | 'elements';
  /** An AnyValue array or kvlist: one level of value nesting. */
  nests?: true;
}

const scalar = (wire: number) => ({ wire });
const message = (child: Schema) => ({ wire: LEN, child });
// proto3 `string` fields must hold UTF-8; protobufjs refuses a request where one does not.
const string = { wire: LEN, utf8: true as const };

// The OTLP trace messages from proto/ (trace.proto, common.proto, resource.proto).
const anyValue: Schema = {};
const keyValue: Schema = { 1: string, 2: message(anyValue) };
const attributes: Rule = { ...message(keyValue), counted: 'attributes' };
Object.assign(anyValue, {
  1: string,
  2: scalar(VARINT),
  3: scalar(VARINT),
  4: scalar(I64),
  5: { ...message({ 1: { ...message(anyValue), counted: 'elements' } }), nests: true },
  6: { ...message({ 1: { ...message(keyValue), counted: 'elements' } }), nests: true },
  7: scalar(LEN),
});
const resource: Schema = { 1: attributes, 2: scalar(VARINT) };
const scope: Schema = { 1: string, 2: string, 3: attributes, 4: scalar(VARINT) };
const span: Schema = {
  1: scalar(LEN),
  2: scalar(LEN),
  3: string,
  4: scalar(LEN),
  5: string,
  6: scalar(VARINT),
  7: scalar(I64),
  8: scalar(I64),
  9: attributes,
  10: scalar(VARINT),
  11: message({ 1: scalar(I64), 2: string, 3: attributes, 4: scalar(VARINT) }),
  12: scalar(VARINT),
  13: message({
    1: scalar(LEN),
    2: scalar(LEN),
    3: string,
    4: attributes,
    5: scalar(VARINT),
    6: scalar(I32),
  }),
  14: scalar(VARINT),
  15: message({ 2: string, 3: scalar(VARINT) }),
  16: scalar(I32),
};
/** A message whose fields are all unknown (a group's). */
const none: Schema = {};
// Nested ScopeSpans and Span are walked by the scan itself, so they are plain LEN here.
const request: Schema = { 1: scalar(LEN) };
const resourceSpans: Schema = { 1: message(resource), 2: scalar(LEN), 3: string };
const scopeSpans: Schema = { 1: message(scope), 2: scalar(LEN), 3: string };

/** Deeper nesting (AnyValue arrays in arrays …) is refused rather than risking the stack. */
const maxDepth = 100;

function malformed(at: number, what: string): never {
  throw new OtlpDecodeError(`invalid OTLP protobuf payload: ${what} at offset ${at}`);
}

function overLimit(at: number, what: string): never {
  throw new OtlpDecodeError(`OTLP request refused: ${what} at offset ${at}`, { kind: 'limit' });
}

/** Walks protobuf fields, checking framing and the wire types of known fields at every depth. */
class WireScanner {
  pos = 0;
  /** Value range of the last length-delimited field read. */
  start = 0;
  end = 0;
  /** Arrays and kvlists open around the current field. */
  nesting = 0;
  /** Messages walked so far, for the decoded-size estimate. */
  messages = 0;
  readonly buf: Uint8Array;
  readonly limits: ValueLimits;
  constructor(buf: Uint8Array, limits: ValueLimits) {
    this.buf = buf;
    this.limits = limits;
  }

  /** Checks the `count`th occurrence of a counted field in one message against its bound. */
  tally(rule: Rule | undefined, count: number, at: number): void {
    if (rule?.counted === 'attributes' && count > this.limits.maxAttributes)
      overLimit(at, `more than ${this.limits.maxAttributes} attributes (maxAttributes)`);
    if (rule?.counted === 'elements' && count > this.limits.maxValueElements)
      overLimit(
        at,
        `an array or kvlist of more than ${this.limits.maxValueElements} elements (maxValueElements)`,
      );
  }

  /** A varint of at most 10 bytes, as every decoder reads a value (protobuf encoding, "Base 128 Varints"). */
  varint(limit: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= limit) malformed(this.pos, 'truncated varint');
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    return malformed(this.pos, 'varint longer than 10 bytes');
  }

  /**
   * A tag or a length prefix: at most 5 bytes and below `max`, as Google's parser and protobufjs
   * both read them; a longer prefix would pass here and fail in the decoder (issue 16, item 1).
   */
  varint32(limit: number, max: number, what: string): number {
    const at = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= limit) malformed(this.pos, 'truncated varint');
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value <= max ? value : malformed(at, `${what} out of range`);
      scale *= 0x80;
    }
    return malformed(at, `${what} longer than 5 bytes`);
  }

  /**
   * Reads one field of a message ending at `limit` and returns its number, or 0 when the field
   * was skipped: a known field with another wire type is an unknown field, and so is a group,
   * as Google's parser and protobufjs read them (protobuf encoding, "Unknown fields").
   */
  field(schema: Schema, limit: number, depth: number): number {
    const at = this.pos;
    const tag = this.varint32(limit, 0xffffffff, 'tag');
    const number = Math.floor(tag / 8);
    const wire = tag & 7;
    if (number === 0) malformed(at, 'field number 0');
    const known = schema[number]?.wire === wire ? schema[number] : undefined;
    if (wire === VARINT) this.varint(limit);
    else if (wire === I64) this.skip(8, limit);
    else if (wire === I32) this.skip(4, limit);
    else if (wire === LEN) {
      const length = this.varint32(limit, 0x7fffffff, 'length');
      const start = this.pos;
      this.skip(length, limit);
      if (known?.child) {
        if (known.nests && ++this.nesting > this.limits.maxValueDepth)
          overLimit(start, `values nested more than ${this.limits.maxValueDepth} deep (maxValueDepth)`);
        this.message(known.child, start, start + length, depth + 1);
        if (known.nests) this.nesting--;
      } else if (known?.utf8 && !utf8(this.buf, start, start + length))
        malformed(start, `field ${number} is not UTF-8`);
      this.pos = start + length;
      this.start = start;
      this.end = start + length;
    } else if (wire === START_GROUP) this.group(number, limit, depth + 1);
    else malformed(at, `invalid wire type ${wire}`);
    return known ? number : 0;
  }

  /** Skips a group's fields up to the END_GROUP tag with its number. */
  group(number: number, limit: number, depth: number): void {
    if (depth > maxDepth) malformed(this.pos, 'nesting too deep');
    for (;;) {
      const at = this.pos;
      if (at >= limit) malformed(at, 'unterminated group');
      const tag = this.varint32(limit, 0xffffffff, 'tag');
      if ((tag & 7) === END_GROUP) {
        if (Math.floor(tag / 8) !== number) malformed(at, 'mismatched end of group');
        return;
      }
      this.pos = at;
      this.field(none, limit, depth);
    }
  }

  skip(length: number, limit: number): void {
    if (length > limit - this.pos) malformed(this.pos, 'truncated field');
    this.pos += length;
  }

  message(schema: Schema, start: number, end: number, depth: number): void {
    if (depth > maxDepth) malformed(start, 'nesting too deep');
    this.pos = start;
    this.messages++;
    let attributes = 0;
    let elements = 0;
    while (this.pos < end) {
      const at = this.pos;
      const rule = schema[this.field(schema, end, depth)];
      if (rule?.counted) this.tally(rule, rule.counted === 'attributes' ? ++attributes : ++elements, at);
    }
  }
}

/** Short ASCII strings (keys, names) are checked in place; others by Node's UTF-8 validator. */
function utf8(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start <= 64) {
    let i = start;
    while (i < end && buf[i]! < 0x80) i++;
    if (i === end) return true;
  }
  return isUtf8(buf.subarray(start, end));
}

/**
 * Whether a Span.Event whose bytes the scanner has already checked has a storable
 * time_unix_nano (field 1, fixed64): its high word below 2^31, i.e. at most 2^63 - 1 ns. The last
 * one wins; fields inside skipped groups are not the event's own.
 */
function eventTimeStorable(buf: Uint8Array, start: number, end: number): boolean {
  let high = 0;
  let groups = 0;
  let pos = start;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  while (pos < end) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === VARINT) varint();
    else if (wire === I64) {
      if (groups === 0 && Math.floor(tag / 8) === 1) high = uint32(buf, pos + 4);
      pos += 8;
    } else if (wire === I32) pos += 4;
    else if (wire === LEN) {
      const length = varint(); // read before pos is: the length's own bytes come first
      pos += length;
    } else if (wire === START_GROUP) groups++;
    else if (wire === END_GROUP) groups--;
  }
  return high <= maxHighWord;
}

/** A little-endian uint32 (half of a fixed64) without a DataView or BigInt per read. */
function uint32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

/** The high word of maxStorableNanos (2^63 - 1): a fixed64 at most that has its high word at most this. */
const maxHighWord = Number(maxStorableNanos >> 32n);

function sameBytes(buf: Uint8Array, a: number, b: number, length: number): boolean {
  if (b < 0) return false;
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

function nonZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return true;
  return false;
}

export interface WireScreening {
  /** The spans that can be stored, located in the received bytes. */
  accepted: WireRequest;
  acceptedSpans: number;
  rejectedSpans: number;
  /** First problems found, for the partial_success message. */
  errorMessage: string;
  /** Estimated memory of the request once decoded (wire bytes included). */
  decodedBytes: number;
}

/**
 * Checks OTLP/protobuf ExportTraceServiceRequest bytes at every depth and locates each span and
 * its trace id without building span objects; spans that can never be stored are left out and
 * reported (OTLP "Partial Success"), with the messages `rejectInvalidSpans` gives.
 * @throws OtlpDecodeError when the bytes are not a valid message (kind `malformed`) or pass one
 * of `limits` (kind `limit`).
 * @example const { accepted, rejectedSpans, errorMessage } = screenProtobufRequest(body, defaultValueLimits);
 */
export function screenProtobufRequest(
  bytes: Uint8Array,
  limits: ValueLimits = unboundedValues,
): WireScreening {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new WireScanner(bytes, limits);
  const spans: WireSpan[] = [];
  const problems: string[] = [];
  let rejectedSpans = 0;
  let lastTraceId = '';
  let lastTraceStart = -1;
  const view = () => bytes.subarray(r.start, r.end);

  const scanSpan = (start: number, end: number, placed: WireScope) => {
    let traceStart = 0;
    let traceEnd = 0;
    let spanIdStart = 0;
    let spanIdEnd = 0;
    let parentLength = 0;
    // start_time_unix_nano and end_time_unix_nano as 32-bit words: compared without BigInts.
    let startHigh = 0;
    let startLow = 0;
    let endHigh = 0;
    let endLow = 0;
    let eventsStorable = true;
    let attributeCount = 0;
    r.messages++;
    r.pos = start;
    while (r.pos < end) {
      const at = r.pos;
      const number = r.field(span, end, 3);
      if (number === 9) r.tally(attributes, ++attributeCount, at);
      // A field sent twice: the last one wins, as in every protobuf decoder.
      if (number === 1) [traceStart, traceEnd] = [r.start, r.end];
      else if (number === 2) [spanIdStart, spanIdEnd] = [r.start, r.end];
      else if (number === 4) parentLength = r.end - r.start;
      // start_time_unix_nano (7) and end_time_unix_nano (8) are fixed64: the 8 bytes just read.
      else if (number === 7) {
        startLow = uint32(bytes, r.pos - 8);
        startHigh = uint32(bytes, r.pos - 4);
      } else if (number === 8) {
        endLow = uint32(bytes, r.pos - 8);
        endHigh = uint32(bytes, r.pos - 4);
      } else if (number === 11) eventsStorable &&= eventTimeStorable(bytes, r.start, r.end);
    }
    // OTLP trace.proto: trace_id is 16 bytes and span_id 8 bytes; all-zero ids are invalid.
    const valid =
      traceEnd - traceStart === 16 &&
      nonZero(bytes, traceStart, traceEnd) &&
      spanIdEnd - spanIdStart === 8 &&
      nonZero(bytes, spanIdStart, spanIdEnd) &&
      (parentLength === 0 || parentLength === 8) &&
      startHigh <= maxHighWord &&
      endHigh <= maxHighWord &&
      (endHigh > startHigh || (endHigh === startHigh && endLow >= startLow)) &&
      eventsStorable;
    if (valid) {
      // Spans of one trace mostly come together: their id string is made once.
      if (!sameBytes(bytes, traceStart, lastTraceStart, 16)) {
        lastTraceId = hex.toString('hex', traceStart, traceEnd);
        lastTraceStart = traceStart;
      }
      spans.push({
        traceId: lastTraceId,
        bytes: bytes.subarray(start, end),
        scope: placed,
      });
      return;
    }
    rejectedSpans++;
    if (problems.length < 3) {
      const decoded = decodeProtobufSpan(bytes.subarray(start, end));
      problems.push(`span "${decoded.name}": ${spanProblem(decoded)}`);
    }
  };

  const scanScopeSpans = (end: number, placed: WireResource) => {
    const scoped: WireScope = { resource: placed };
    while (r.pos < end) {
      const number = r.field(scopeSpans, end, 2);
      if (number === 1) scoped.scope = view();
      else if (number === 3) scoped.schemaUrl = view();
      else if (number === 2) {
        const next = r.end;
        scanSpan(r.start, r.end, scoped);
        r.pos = next;
      }
    }
  };

  while (r.pos < bytes.byteLength) {
    const number = r.field(request, bytes.byteLength, 0);
    if (number !== 1) continue;
    const end = r.end;
    const placed: WireResource = {};
    r.pos = r.start;
    while (r.pos < end) {
      const field = r.field(resourceSpans, end, 1);
      if (field === 1) placed.resource = view();
      else if (field === 3) placed.schemaUrl = view();
      else if (field === 2) {
        const next = r.end;
        r.pos = r.start;
        scanScopeSpans(next, placed);
      }
    }
  }

  const decodedBytes = decodedBytesEstimate(bytes.byteLength, r.messages);
  if (decodedBytes > limits.maxDecodedBytes)
    overLimit(
      0,
      `decodes to about ${Math.ceil(decodedBytes / 1024 ** 2)} MiB, more than ${Math.floor(limits.maxDecodedBytes / 1024 ** 2)} MiB (maxDecodedBytes)`,
    );
  let errorMessage = '';
  if (rejectedSpans > 0) {
    const more = rejectedSpans > problems.length ? ` (and ${rejectedSpans - problems.length} more)` : '';
    errorMessage = `${rejectedSpans} span(s) rejected: ${problems.join('; ')}${more}`;
  }
  return {
    accepted: { source: bytes, spans, whole: rejectedSpans === 0 },
    acceptedSpans: spans.length,
    rejectedSpans,
    errorMessage,
    decodedBytes,
  };
}
