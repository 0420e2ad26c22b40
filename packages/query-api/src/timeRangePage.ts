import { cursorCodec, type Page } from '@llmp/pipeline';
import { z } from 'zod';

/** Where a page of a time-ordered read stops: (time in ns, row key), as the store gives it. */
export type RowPosition = [timeNs: string, rowKey: string];

const positions = cursorCodec(
  z.object({ range: z.tuple([z.string(), z.string()]), at: z.tuple([z.string(), z.string()]) }),
);
const dayNs = 86_400_000_000_000n;
const nanosOf = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

/**
 * The time range and start of one page of a newest-first read (`/v1/logs`, `/v1/otel-metrics`):
 * `from`/`to` (default the day before now) on a first page, the range the first page fixed and
 * the position after its last row from a `cursor`; undefined for a cursor this API did not issue.
 * @example const range = pageRange(q, now); if (!range) return problem(c, 400, 'Invalid cursor', …);
 */
export function pageRange(
  query: { from?: string | undefined; to?: string | undefined; cursor?: string | undefined },
  now: () => bigint,
): { fromNs: bigint; toNs: bigint; after?: RowPosition } | undefined {
  if (query.cursor === undefined) {
    const toNs = query.to ? nanosOf(query.to) : now();
    return { fromNs: query.from ? nanosOf(query.from) : toNs - dayNs, toNs };
  }
  const cursor = positions.decode(query.cursor);
  if (!cursor) return undefined;
  return { fromNs: BigInt(cursor.range[0]), toNs: BigInt(cursor.range[1]), after: cursor.at };
}

/**
 * A `Page<T>` of such a read: its items and, when more follow, the cursor holding the range and
 * the position after the last item.
 * @example return c.json(rangedPage(result, range));
 */
export function rangedPage<T>(
  result: { items: T[]; next: RowPosition | null | undefined },
  range: { fromNs: bigint; toNs: bigint },
): Page<T> {
  return {
    items: result.items,
    next_cursor: result.next
      ? positions.encode({ range: [range.fromNs.toString(), range.toNs.toString()], at: result.next })
      : null,
  };
}
