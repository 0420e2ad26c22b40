import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProtobufRequest } from './decodeProtobuf.ts';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import { rejectInvalidSpans } from './rejectInvalidSpans.ts';
import { screenProtobufRequest } from './screenProtobufRequest.ts';
import { arbitraryTraceRequest, mutatedBytes } from './testing/arbitraryTraceRequest.ts';
import { countSpans } from './traceModel.ts';
import { encodeWireSpans, wireRequestBytes } from './wireSpans.ts';

const seed = 20261123;

describe('screenProtobufRequest', () => {
  it('accepts and rejects the spans rejectInvalidSpans does, with the same partial_success message', () => {
    fc.assert(
      fc.property(arbitraryTraceRequest({ invalid: true }), (request) => {
        const bytes = encodeProtobufRequest(request);
        const decoded = rejectInvalidSpans(decodeProtobufRequest(bytes));
        const screening = screenProtobufRequest(bytes);
        expect([screening.acceptedSpans, screening.rejectedSpans, screening.errorMessage]).toEqual([
          decoded.acceptedSpans,
          decoded.rejectedSpans,
          decoded.errorMessage,
        ]);
        expect(screening.accepted.whole).toBe(decoded.rejectedSpans === 0);
        expect(decodeProtobufRequest(wireRequestBytes(screening.accepted))).toEqual(decoded.accepted);
        // Resources and scopes without spans have no place in a request built from spans.
        const withSpans = {
          resourceSpans: decoded.accepted.resourceSpans
            .map((rs) => ({ ...rs, scopeSpans: rs.scopeSpans.filter((ss) => ss.spans.length > 0) }))
            .filter((rs) => rs.scopeSpans.length > 0),
        };
        expect(decodeProtobufRequest(encodeWireSpans(screening.accepted.spans))).toEqual(withSpans);
        expect(screening.accepted.spans.map((s) => s.traceId)).toEqual(
          decoded.accepted.resourceSpans.flatMap((rs) =>
            rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.traceId)),
          ),
        );
      }),
      { numRuns: 300, seed },
    );
  });

  it('never accepts bytes the decoder refuses, and counts the spans the decoder finds', () => {
    const sample = fc.sample(arbitraryTraceRequest(), { numRuns: 20, seed });
    const bodies = fc.oneof(
      ...sample.map((request) => mutatedBytes(encodeProtobufRequest(request))),
      fc.uint8Array({ maxLength: 300 }),
    );
    fc.assert(
      fc.property(bodies, (bytes) => {
        let screened: number | undefined;
        try {
          const screening = screenProtobufRequest(bytes);
          screened = screening.acceptedSpans + screening.rejectedSpans;
        } catch (error) {
          expect(error).toBeInstanceOf(OtlpDecodeError);
          return;
        }
        expect(screened).toBe(countSpans(decodeProtobufRequest(bytes)));
      }),
      { numRuns: 5000, seed },
    );
  });

  it('skips a known field sent with another wire type and a group, refuses a padded length prefix, a truncated field and runaway nesting', () => {
    // resource_spans (field 1) sent as a varint, then a group (field 2): unknown fields, skipped.
    expect(screenProtobufRequest(Uint8Array.of(0x08, 0x01, 0x13, 0x08, 0x01, 0x14)).acceptedSpans).toBe(0);
    expect(decodeProtobufRequest(Uint8Array.of(0x08, 0x01, 0x13, 0x08, 0x01, 0x14))).toEqual({
      resourceSpans: [],
    });
    // An empty resource_spans whose length 0 is written in 6 bytes: every decoder refuses it.
    expect(() => screenProtobufRequest(Uint8Array.of(0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00))).toThrow(
      /length longer than 5 bytes/,
    );
    // resource_spans of 5 bytes with 2 present.
    expect(() => screenProtobufRequest(Uint8Array.of(0x0a, 0x05, 0x12, 0x00))).toThrow(/truncated/);
    // A resource attribute whose AnyValue holds arrays `depth` deep.
    const field = (tag: number, inner: Uint8Array) => {
      const length: number[] = [];
      for (let n = inner.length; ; n >>>= 7) {
        if (n < 0x80) {
          length.push(n);
          break;
        }
        length.push((n & 0x7f) | 0x80);
      }
      return Uint8Array.from([tag, ...length, ...inner]);
    };
    const nested = (depth: number) => {
      let value = Uint8Array.of(0x10, 0x01); // AnyValue.bool_value
      for (let i = 0; i < depth; i++) value = field(0x2a, field(0x0a, value)); // array_value.values
      return field(0x0a, field(0x0a, field(0x0a, field(0x12, value)))); // request → resource → attribute
    };
    expect(countSpans(decodeProtobufRequest(nested(40)))).toBe(0);
    expect(screenProtobufRequest(nested(40)).acceptedSpans).toBe(0);
    expect(() => screenProtobufRequest(nested(200))).toThrow(/nesting too deep/);
  });

  it('finds an empty request empty', () => {
    expect(screenProtobufRequest(new Uint8Array())).toMatchObject({ acceptedSpans: 0, rejectedSpans: 0 });
  });
});
