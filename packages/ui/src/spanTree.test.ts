import { describe, expect, it } from 'vitest';
import type { SpanOutline } from './apiTypes.ts';
import { spanTree, visibleRows } from './spanTree.ts';

const span = (spanId: string, parentSpanId: string, start: number, end = start + 10) =>
  ({
    spanId,
    parentSpanId,
    startTimeUnixNano: String(start),
    durationNs: String(end - start),
  }) as SpanOutline;

describe('spanTree', () => {
  it('orders depth-first with children by start, orphans as roots, and the trace extent', () => {
    const tree = spanTree([
      span('c', 'a', 30),
      span('a', '', 0, 100),
      span('b', 'a', 20),
      span('o', 'gone', 5),
    ]);
    expect(tree.rows.map((r) => [r.span.spanId, r.depth, r.childCount])).toEqual([
      ['a', 0, 2],
      ['b', 1, 0],
      ['c', 1, 0],
      ['o', 0, 0],
    ]);
    expect([tree.startNs, tree.endNs]).toEqual([0n, 100n]);
    expect(tree.rows.map((r) => [r.startNs, r.endNs])).toEqual([
      [0, 100],
      [20, 30],
      [30, 40],
      [5, 15],
    ]);
  });

  it('shows every span once even when parents form a cycle, and survives a deep chain', () => {
    const cyclic = spanTree([span('x', 'y', 1), span('y', 'x', 2)]);
    expect(cyclic.rows.map((r) => r.span.spanId).sort()).toEqual(['x', 'y']);
    const chain = Array.from({ length: 50_000 }, (_, i) => span(`s${i}`, i === 0 ? '' : `s${i - 1}`, i));
    const deep = spanTree(chain);
    expect(deep.rows).toHaveLength(50_000);
    expect(deep.rows.at(-1)!.depth).toBe(49_999);
  });

  it('hides the descendants of collapsed spans only', () => {
    const { rows } = spanTree([span('a', '', 0), span('b', 'a', 1), span('c', 'b', 2), span('d', 'a', 3)]);
    expect(visibleRows(rows, new Set(['b'])).map((r) => r.span.spanId)).toEqual(['a', 'b', 'd']);
    expect(visibleRows(rows, new Set(['a'])).map((r) => r.span.spanId)).toEqual(['a']);
  });
});
