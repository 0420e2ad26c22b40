import { describe, expect, it } from 'vitest';
import { spanRecordColumns, spanRecordOf } from './readTrace.ts';

describe('spanRecordOf', () => {
  it('names each value of a compact row after the column the SELECT put there', () => {
    const row = spanRecordColumns.map((_, i) => `value ${i}`);
    const record = spanRecordOf(row) as unknown as Record<string, string>;
    expect(Object.keys(record)).toEqual(spanRecordColumns.map(([name]) => name));
    for (const [i, [name]] of spanRecordColumns.entries()) expect(record[name]).toBe(`value ${i}`);
  });
});
