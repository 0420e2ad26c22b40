import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { flatStringReader } from './flatStringReader.ts';
import { protoTypes } from './protoTypes.ts';
import { arbitraryTraceRequest, mutatedBytes, testRequest, testSpan } from './testing/index.ts';

/** What protobufjs makes of `bytes` with its own reader and with flatStringReader: a value or an error. */
function bothReaders(bytes: Uint8Array) {
  const { request } = protoTypes();
  const outcome = (decode: () => unknown) => {
    try {
      return { message: decode() };
    } catch (error) {
      return { error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  };
  const own = outcome(() => request.decode(bytes));
  const flat = outcome(() => request.decode(flatStringReader(bytes)));
  // Not toEqual: its diff of two large messages takes minutes.
  const same = isDeepStrictEqual(flat, own);
  return { own, same };
}

const unicodeRequest = fc
  .tuple(
    arbitraryTraceRequest(),
    fc.array(fc.string({ unit: 'binary', maxLength: 200 }), { minLength: 1, maxLength: 6 }),
  )
  .map(([request, texts]) => ({
    // Non-ASCII keys and values, short and long, on a resource of their own.
    resourceSpans: [
      ...request.resourceSpans,
      {
        resource: {
          attributes: texts.map((t, i) => ({
            key: `${t.slice(0, 10)}${i}`,
            value: { type: 'string' as const, value: t },
          })),
          droppedAttributesCount: 0,
        },
        schemaUrl: texts[0]!,
        scopeSpans: [],
      },
    ],
  }));

describe('flatStringReader', () => {
  it('decodes what protobufjs decodes, for any request', () => {
    fc.assert(
      fc.property(unicodeRequest, (request) => {
        const bytes = encodeProtobufRequest(request);
        // (A lone surrogate encodes to bytes that are not UTF-8: both readers refuse those.)
        expect(bothReaders(bytes).same).toBe(true);
        // From a Buffer as from a Uint8Array.
        expect(bothReaders(Buffer.from(bytes)).same).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('fails as protobufjs fails, or decodes the same, on damaged bytes', () => {
    const bytes = encodeProtobufRequest(
      testRequest([
        testSpan({
          name: 'é'.repeat(40),
          attributes: [
            { key: 'k☃', value: { type: 'string', value: 'v😀'.repeat(50) } },
            { key: 'ascii', value: { type: 'string', value: 'a'.repeat(100) } },
          ],
        }),
      ]),
    );
    fc.assert(
      fc.property(mutatedBytes(bytes), (damaged) => {
        expect(bothReaders(damaged).same).toBe(true);
        expect(bothReaders(Buffer.from(damaged)).same).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects invalid UTF-8 in short and long strings with protobufjs error', () => {
    for (const length of [3, 63, 64, 500]) {
      const marker = 'x'.repeat(length);
      const bytes = Buffer.from(encodeProtobufRequest(testRequest([testSpan({ name: marker })])));
      const at = bytes.indexOf(marker) + length - 1;
      bytes[at] = 0xff;
      const { own, same } = bothReaders(bytes);
      expect(own.error).toMatch(/TypeError/);
      expect(same).toBe(true);
    }
  });
});
