import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowBinaryFormatError, rowBinaryReader } from './rowBinaryReader.ts';
import { rowBinaryWriter } from './rowBinaryWriter.ts';

type Value =
  | { type: 'string'; value: string }
  | { type: 'varUInt'; value: number }
  | { type: 'uint8'; value: number }
  | { type: 'uint32'; value: number }
  | { type: 'uint64'; value: bigint }
  | { type: 'int64'; value: bigint }
  | { type: 'float64'; value: number };

const value: fc.Arbitrary<Value> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }).map((v) => ({ type: 'string' as const, value: v })),
  fc.nat({ max: 2 ** 40 }).map((v) => ({ type: 'varUInt' as const, value: v })),
  fc.nat({ max: 255 }).map((v) => ({ type: 'uint8' as const, value: v })),
  fc.nat({ max: 2 ** 32 - 1 }).map((v) => ({ type: 'uint32' as const, value: v })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ type: 'uint64' as const, value: v })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ type: 'int64' as const, value: v })),
  fc.double().map((v) => ({ type: 'float64' as const, value: v })),
);

describe('rowBinaryReader', () => {
  it('reads back what rowBinaryWriter wrote, value by value, to the last byte', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), (values) => {
        const w = rowBinaryWriter(16);
        for (const v of values) {
          if (v.type === 'uint64') w.uint64(v.value);
          else if (v.type === 'int64') w.int64(v.value);
          else w[v.type](v.value as never);
        }
        const r = rowBinaryReader(w.bytes());
        for (const v of values) {
          switch (v.type) {
            case 'string':
              // UTF-8 has no lone surrogates: they come back as U+FFFD, as Buffer decodes them.
              expect(r.string()).toBe(Buffer.from(v.value).toString('utf8'));
              break;
            case 'uint64':
              expect(r.bigUint64()).toBe(v.value);
              break;
            case 'int64':
              expect(r.bigInt64()).toBe(v.value);
              break;
            default:
              expect(r[v.type]()).toBe(v.value);
          }
        }
        expect(r.done()).toBe(true);
      }),
    );
  });

  it('reads a UInt64 as the number its decimal text gives', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        const w = rowBinaryWriter();
        w.uint64(n);
        expect(rowBinaryReader(w.bytes()).uint64()).toBe(Number(n.toString()));
      }),
    );
  });

  it('refuses an answer that ends inside a value, with an error of kind format', () => {
    const w = rowBinaryWriter();
    w.string('hello');
    w.uint32(7);
    const bytes = w.bytes();
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = rowBinaryReader(bytes.subarray(0, cut));
      const read = () => {
        r.string();
        r.uint32();
      };
      expect(read, `cut at ${cut}`).toThrow(RowBinaryFormatError);
    }
    expect(new RowBinaryFormatError('x').kind).toBe('format');
  });
});
