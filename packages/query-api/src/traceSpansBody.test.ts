import type { StoredSpan } from '@llmp/clickhouse';
import { describe, expect, it } from 'vitest';
import { traceSpansBody } from './traceSpansBody.ts';

const span = (i: number) =>
  ({
    spanId: i.toString(16).padStart(16, '0'),
    name: `step "${i}"\n`,
    attributes: { i },
  }) as unknown as StoredSpan;

describe('traceSpansBody', () => {
  it('writes the text JSON.stringify gives, over many chunks', async () => {
    for (const count of [0, 1, 256, 257, 1000]) {
      const spans = Array.from({ length: count }, (_, i) => span(i));
      for (const nextCursor of [undefined, 'eyJ2IjoxfQ']) {
        const text = await new Response(
          traceSpansBody({ traceId: 'ab'.repeat(16), spans, nextCursor }),
        ).text();
        expect(text).toBe(
          JSON.stringify({
            traceId: 'ab'.repeat(16),
            spans,
            ...(nextCursor ? { next_cursor: nextCursor } : {}),
          }),
        );
      }
    }
  });
});
