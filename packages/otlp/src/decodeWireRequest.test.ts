import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProtobufjsRequest, decodeProtobufRequest } from './decodeProtobuf.ts';
import { decodeWireRequest } from './decodeWireRequest.ts';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { arbitraryTraceRequest, framingEdits, mutatedBytes } from './testing/arbitraryTraceRequest.ts';
import { testRequest, testSpan } from './testing/traceFixtures.ts';
import type { AnyValue, TraceRequest } from './traceModel.ts';

const seed = 20261205;

/** A decoder's outcome on some bytes: the request, or the error's name and message. */
function outcome(decode: () => TraceRequest | undefined) {
  try {
    return { request: decode() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Both classes of bytes the decoder meets: Buffers (gRPC, Kafka) and plain Uint8Arrays. */
const bothClasses = (bytes: Uint8Array) => [Buffer.from(bytes), Uint8Array.from(bytes)];

// Values the shared arbitrary leaves out: bytes, kvlists, nesting, non-ASCII and long texts.
const leaf: fc.Arbitrary<AnyValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }).map((value) => ({ type: 'string' as const, value })),
  fc.uint8Array({ maxLength: 20 }).map((value) => ({ type: 'bytes' as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'int' as const, value })),
  fc.constant({ type: 'empty' as const }),
);
const nested: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }).map((value) => ({ type: 'array' as const, value })),
    fc
      .array(fc.record({ key: fc.string({ maxLength: 8 }), value: tie('value') }), { maxLength: 3 })
      .map((value) => ({ type: 'kvlist' as const, value })),
  ),
})).value;

const richRequest = fc
  .tuple(arbitraryTraceRequest(), fc.array(nested, { minLength: 1, maxLength: 6 }))
  .map(([request, values]): TraceRequest => {
    const attributes = values.map((value, i) => ({ key: `k${i}`, value }));
    return {
      resourceSpans: [
        ...request.resourceSpans,
        {
          resource: { attributes, droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeSpans: [
            {
              scope: { name: 'é', version: '', attributes, droppedAttributesCount: 0 },
              schemaUrl: '',
              spans: [],
            },
          ],
        },
      ],
    };
  });

describe('decodeWireRequest', () => {
  it('gives what protobufjs and the conversion give, for any request (from a Buffer or a Uint8Array)', () => {
    fc.assert(
      fc.property(richRequest, (request) => {
        for (const bytes of bothClasses(encodeProtobufRequest(request))) {
          const direct = decodeWireRequest(bytes);
          expect(direct).toBeDefined();
          // Not toEqual: it takes a Buffer and a Uint8Array of the same bytes for equal.
          expect(isDeepStrictEqual(direct, decodeProtobufjsRequest(bytes))).toBe(true);
        }
      }),
      { numRuns: 300, seed },
    );
  });

  it('leaves to protobufjs, or agrees with it on, damaged bytes: decodeProtobufRequest gives what protobufjs gives', () => {
    const sample = fc.sample(richRequest, { numRuns: 30, seed });
    for (const request of sample) {
      const bytes = encodeProtobufRequest(request);
      const damaged = [
        ...fc.sample(mutatedBytes(bytes), { numRuns: 100, seed }),
        ...fc.sample(framingEdits(bytes), { numRuns: 100, seed }),
      ];
      for (const edited of damaged) {
        for (const input of bothClasses(edited)) {
          const mine = outcome(() => decodeProtobufRequest(input));
          const theirs = outcome(() => decodeProtobufjsRequest(input));
          expect(isDeepStrictEqual(mine, theirs)).toBe(true);
        }
      }
    }
  });

  it('leaves a status sent twice and a value with two oneof members to protobufjs', () => {
    const bytes = encodeProtobufRequest(testRequest([testSpan({ status: { code: 2, message: 'a' } })]));
    // The last field of the Span is its status (15): sent once more, with code OK.
    const twice = appendToFirstSpan(bytes, [0x7a, 0x02, 0x18, 0x01]);
    expect(decodeWireRequest(twice)).toBeUndefined();
    expect(decodeProtobufRequest(twice)).toEqual(decodeProtobufjsRequest(twice));
    // A KeyValue whose AnyValue holds string_value "x" and int_value 7.
    const both = appendToFirstSpan(
      bytes,
      [0x4a, 0x0a, 0x0a, 0x01, 0x6b, 0x12, 0x05, 0x0a, 0x01, 0x78, 0x18, 0x07],
    );
    expect(decodeWireRequest(both)).toBeUndefined();
    expect(decodeProtobufRequest(both)).toEqual(decodeProtobufjsRequest(both));
  });
});

/** The bytes of a one-span request with `extra` appended to its span (lengths fixed up). */
function appendToFirstSpan(bytes: Uint8Array, extra: number[]): Uint8Array {
  const request = decodeProtobufjsRequest(bytes);
  const span = request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  const spanBytes = encodeSpanOnly(span);
  const grown = Uint8Array.from([...spanBytes, ...extra]);
  // Rebuild ExportTraceServiceRequest { resource_spans { scope_spans { spans } } } by hand.
  const scopeSpans = [0x12, ...varint(grown.length), ...grown];
  const resourceSpans = [0x12, ...varint(scopeSpans.length), ...scopeSpans];
  return Uint8Array.from([0x0a, ...varint(resourceSpans.length), ...resourceSpans]);
}

function encodeSpanOnly(span: TraceRequest['resourceSpans'][number]['scopeSpans'][number]['spans'][number]) {
  const whole = encodeProtobufRequest({
    resourceSpans: [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            spans: [span],
          },
        ],
      },
    ],
  });
  let at = 0;
  const read = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = whole[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  // Walk down: request.resource_spans → resource_spans.scope_spans → scope_spans.spans.
  let length = 0;
  for (const wanted of [0x0a, 0x12, 0x12]) {
    for (;;) {
      const tag = read();
      length = read();
      if (tag === wanted) break;
      at += length;
    }
  }
  return whole.subarray(at, at + length);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
