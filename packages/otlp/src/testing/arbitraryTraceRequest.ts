import fc from 'fast-check';
import type { AnyValue, KeyValue, ResourceSpans, Span, TraceRequest } from '../traceModel.ts';

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

const scalarValue: fc.Arbitrary<AnyValue> = fc.oneof(
  fc.string({ maxLength: 600 }).map((value) => ({ type: 'string' as const, value })),
  fc.boolean().map((value) => ({ type: 'bool' as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'int' as const, value })),
  fc.double({ noNaN: true }).map((value) => ({ type: 'double' as const, value })),
);
const anyValue: fc.Arbitrary<AnyValue> = fc.oneof(
  { weight: 4, arbitrary: scalarValue },
  fc.array(scalarValue, { maxLength: 3 }).map((value) => ({ type: 'array' as const, value })),
);
const attributes: fc.Arbitrary<KeyValue[]> = fc.array(
  fc.record({ key: fc.string({ minLength: 1, maxLength: 20 }), value: anyValue }),
  { maxLength: 4 },
);
const nanos = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
/** Span times the store holds as sent: up to DateTime64(9)'s last instant (see timeProblem). */
const storableNanos = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n });

/** A span id or trace id that validation accepts, or now and then one it rejects. */
const id = (bytes: number, valid: fc.Arbitrary<string>, invalid: boolean) =>
  invalid
    ? fc.oneof(
        { weight: 12, arbitrary: valid },
        fc.constant('0'.repeat(bytes * 2)),
        hex(bytes - 1),
        fc.constant(''),
      )
    : valid;

function spanOf(traceIds: string[], invalid: boolean): fc.Arbitrary<Span> {
  return fc
    .record({
      traceId: id(16, fc.constantFrom(...traceIds), invalid),
      spanId: id(
        8,
        hex(8).filter((h) => h !== '0'.repeat(16)),
        invalid,
      ),
      traceState: fc.constantFrom('', 'k=v'),
      parentSpanId: fc.oneof(fc.constant(''), hex(8)),
      flags: fc.nat(),
      name: fc.string({ maxLength: 30 }),
      kind: fc.integer({ min: 0, max: 5 }),
      startTimeUnixNano: invalid ? nanos : storableNanos,
      endTimeUnixNano: invalid ? nanos : storableNanos,
      attributes,
      droppedAttributesCount: fc.nat(3),
      events: fc.array(
        fc.record({
          timeUnixNano: invalid ? nanos : storableNanos,
          name: fc.string({ maxLength: 10 }),
          attributes,
          droppedAttributesCount: fc.nat(2),
        }),
        { maxLength: 2 },
      ),
      droppedEventsCount: fc.nat(2),
      links: fc.array(
        fc.record({
          traceId: hex(16),
          spanId: hex(8),
          traceState: fc.constant(''),
          attributes,
          droppedAttributesCount: fc.nat(2),
          flags: fc.nat(),
        }),
        { maxLength: 1 },
      ),
      droppedLinksCount: fc.nat(2),
      status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.string({ maxLength: 10 }) }),
    })
    .map((span) =>
      // A valid span ends at or after its start; with `invalid`, times go either way and past 2262.
      invalid || span.endTimeUnixNano >= span.startTimeUnixNano
        ? span
        : { ...span, startTimeUnixNano: span.endTimeUnixNano, endTimeUnixNano: span.startTimeUnixNano },
    );
}

/**
 * Random OTLP trace requests: several resources and scopes, spans of a few traces interleaved,
 * attribute payloads up to 600 characters; with `invalid`, some spans have ids or times validation rejects.
 * @example fc.assert(fc.property(arbitraryTraceRequest(), (request) => …))
 */
export function arbitraryTraceRequest({ invalid = false } = {}): fc.Arbitrary<TraceRequest> {
  return fc.array(hex(16), { minLength: 1, maxLength: 4 }).chain((traceIds) => {
    const resourceSpans: fc.Arbitrary<ResourceSpans> = fc.record({
      resource: fc.record({ attributes, droppedAttributesCount: fc.nat(2) }),
      schemaUrl: fc.constantFrom('', 'https://opentelemetry.io/schemas/1.26.0'),
      scopeSpans: fc.array(
        fc.record({
          scope: fc.record({
            name: fc.string({ maxLength: 10 }),
            version: fc.constantFrom('', '1.0'),
            attributes,
            droppedAttributesCount: fc.nat(2),
          }),
          schemaUrl: fc.constantFrom('', 'https://schema/s'),
          spans: fc.array(spanOf(traceIds, invalid), { maxLength: 6 }),
        }),
        { maxLength: 3 },
      ),
    });
    return fc.array(resourceSpans, { maxLength: 3 }).map((list) => ({ resourceSpans: list }));
  });
}

/**
 * Valid bytes with a few edits: bytes set, inserted or deleted, or the tail cut off.
 * @example fc.assert(fc.property(mutatedBytes(encodeProtobufRequest(request)), (bytes) => …))
 */
export function mutatedBytes(bytes: Uint8Array, maxEdits = 8): fc.Arbitrary<Uint8Array> {
  return fc
    .array(fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'truncate'), fc.nat(), fc.nat(255)), {
      minLength: 1,
      maxLength: maxEdits,
    })
    .map((edits) => {
      let out = Array.from(bytes);
      for (const [op, at, byte] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        if (op === 'set') out[i] = byte;
        else if (op === 'insert') out.splice(i, 0, byte);
        else if (op === 'delete') out.splice(i, 1);
        else out = out.slice(0, i);
      }
      return Uint8Array.from(out);
    });
}

/**
 * One byte edit aimed at protobuf framing: a wire type flipped, or a varint padded to 6–10 bytes.
 * @example fc.sample(framingEdits(encodeProtobufRequest(request)), 100)
 */
export function framingEdits(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 5 }))
    .map(([at, wire, pad]) => {
      const out = Array.from(bytes);
      if (out.length === 0) return Uint8Array.from(out);
      const i = at % out.length;
      if (at % 2 === 0) out[i] = (out[i]! & ~7) | wire;
      else {
        // Redundant continuation bytes keep the value but lengthen its varint.
        let end = i;
        while (end < out.length - 1 && out[end]! >= 0x80) end++;
        out[end] = out[end]! | 0x80;
        out.splice(end + 1, 0, ...Array(pad - 1).fill(0x80), 0x00);
      }
      return Uint8Array.from(out);
    });
}
