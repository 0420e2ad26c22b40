import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clickhouseTime, isoFromNanos, isoTimes } from './storedSpan.ts';

describe('isoFromNanos', () => {
  it('keeps all nine fraction digits', () => {
    expect(isoFromNanos(1700000000123456789n)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(isoFromNanos(1700000000000000001n)).toBe('2023-11-14T22:13:20.000000001Z');
    expect(isoFromNanos(1700000000999999999n)).toBe('2023-11-14T22:13:20.999999999Z');
  });

  it('handles the epoch and whole seconds', () => {
    expect(isoFromNanos(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(isoFromNanos(1_000_000_000n)).toBe('1970-01-01T00:00:01.000000000Z');
  });

  it('handles the largest OTLP fixed64 time', () => {
    expect(isoFromNanos(2n ** 64n - 1n)).toBe('2554-07-21T23:34:33.709551615Z');
  });
});

describe('isoTimes', () => {
  it('gives the text isoFromNanos gives, for times of one second and of any', () => {
    const iso = isoTimes();
    const second = 1_750_000_000n * 1_000_000_000n;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: second, max: second + 999_999_999n }),
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
        ),
        (nanos) => {
          expect(iso(nanos)).toBe(isoFromNanos(nanos));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('clickhouseTime', () => {
  it('writes DateTime64(9) text with all nine fraction digits', () => {
    expect(clickhouseTime(1700000000123456789n)).toBe('2023-11-14 22:13:20.123456789');
    expect(clickhouseTime(0n)).toBe('1970-01-01 00:00:00.000000000');
    expect(clickhouseTime(5n)).toBe('1970-01-01 00:00:00.000000005');
  });

  it('clamps times beyond what DateTime64(9) holds', () => {
    expect(clickhouseTime(2n ** 64n - 1n)).toBe('2262-04-11 23:47:16.854775807');
    expect(clickhouseTime(-1n)).toBe('1970-01-01 00:00:00.000000000');
  });
});
