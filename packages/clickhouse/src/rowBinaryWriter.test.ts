import { describe, expect, it } from 'vitest';
import { rowBinaryWriter } from './rowBinaryWriter.ts';

/** LEB128, written plainly. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    out.push((n % 128) + (n >= 128 ? 128 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return out;
}

describe('rowBinaryWriter', () => {
  it('writes a string as its UTF-8 byte length in LEB128, then its bytes, at every prefix size', () => {
    const lengths = [0, 1, 42, 43, 64, 127, 128, 5461, 5462, 16_383, 16_384, 70_000, 700_000];
    for (const unit of ['a', 'é', '☃', '😀', '\ud800']) {
      for (const length of lengths) {
        const s = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
        // A small first buffer: the writer grows it while writing.
        const w = rowBinaryWriter(16);
        w.string('x');
        w.string(s);
        w.string('y');
        const body = Buffer.from(s);
        const expected = Buffer.from([1, 0x78, ...leb(body.length), ...body, 1, 0x79]);
        expect(w.bytes().equals(expected), `${length} × ${JSON.stringify(unit)}`).toBe(true);
      }
    }
  });

  it('writes short strings that leave ASCII part-way as their UTF-8 bytes', () => {
    const strings = [
      'abcé',
      `${'x'.repeat(62)}😀`,
      'ab\ud800',
      'a\u007f\u0080',
      `${'k'.repeat(63)}`,
      '\u0000z',
    ];
    const w = rowBinaryWriter(4);
    for (const s of strings) w.string(s);
    const expected = Buffer.concat(
      strings.map((s) => Buffer.concat([Buffer.from(leb(Buffer.byteLength(s))), Buffer.from(s)])),
    );
    expect(w.bytes().equals(expected)).toBe(true);
  });

  it('writes a count as UInt64, whole, clamped to 0 and 2^53 - 1', () => {
    const counts = [0, 1, 3.7, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 53 - 1, 1e20, -5, Number.NaN];
    const w = rowBinaryWriter(8);
    for (const n of counts) w.uint64Count(n);
    const expected = Buffer.alloc(8 * counts.length);
    counts.forEach((n, i) => {
      const whole = n >= 1 ? BigInt(Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER)) : 0n;
      expected.writeBigUInt64LE(whole, i * 8);
    });
    expect(w.bytes()).toEqual(expected);
  });

  it("writes Int64 in two's complement and UInt64 clamped to its range, little-endian", () => {
    const signed = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1_764_950_400_123_456_789n];
    const unsigned = [0n, 5n, -7n, 2n ** 64n - 1n, 2n ** 64n + 9n, 2n ** 32n + 3n];
    const w = rowBinaryWriter(4);
    for (const n of signed) w.int64(n);
    for (const n of unsigned) w.uint64(n);
    const expected = Buffer.alloc(8 * (signed.length + unsigned.length));
    signed.forEach((n, i) => {
      expected.writeBigInt64LE(n, i * 8);
    });
    unsigned.forEach((n, i) => {
      const clamped = n < 0n ? 0n : n > 2n ** 64n - 1n ? 2n ** 64n - 1n : n;
      expected.writeBigUInt64LE(clamped, (signed.length + i) * 8);
    });
    expect(w.bytes()).toEqual(expected);
  });

  it('writes Float64 as Buffer#writeDoubleLE does, NaN and infinities and negative zero included', () => {
    const doubles = [
      0,
      -0,
      1.5,
      -2.25e-308,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Infinity,
      -Infinity,
      Number.NaN,
      0.1,
    ];
    const w = rowBinaryWriter(4);
    for (const n of doubles) w.float64(n);
    const expected = Buffer.alloc(8 * doubles.length);
    doubles.forEach((n, i) => {
      expected.writeDoubleLE(n, i * 8);
    });
    expect(w.bytes()).toEqual(expected);
  });

  it('repeats bytes it wrote, across a regrowth of its buffer', () => {
    const w = rowBinaryWriter(4);
    w.string('ab');
    const start = w.offset();
    w.string('cde');
    w.uint32(7);
    const end = w.offset();
    for (let i = 0; i < 5; i++) w.repeat(start, end);
    const once = Buffer.from([3, 0x63, 0x64, 0x65, 7, 0, 0, 0]);
    expect(w.bytes()).toEqual(Buffer.concat([Buffer.from([2, 0x61, 0x62]), ...Array(6).fill(once)]));
  });
});
