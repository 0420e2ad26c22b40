import { createHash } from 'node:crypto';
import type { PagePosition, SortKey, SortOrder } from '@llmp/clickhouse';
import { cursorCodec } from '@llmp/pipeline';
import { z } from 'zod';

// Signed 64-bit integers as text: what the cursor hands back to ClickHouse as Int64 parameters.
const int64 = z
  .string()
  .regex(/^-?\d{1,19}$/)
  .refine((v) => BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n, 'out of the Int64 range');

const cursorSchema = z.strictObject({
  kind: z.enum(['traces', 'spans']),
  sort: z.enum(['startTime', 'duration']),
  order: z.enum(['asc', 'desc']),
  /** The time range the first page resolved (its default "now" must not move between pages). */
  fromNs: int64,
  toNs: int64,
  /** Hash of the query the cursor continues. */
  query: z.string().length(16),
  value: int64,
  traceId: z.string().max(64),
  spanId: z.string().max(32).optional(),
});

const codec = cursorCodec(cursorSchema);

/** What an opaque page cursor holds. */
export type PageCursor = z.infer<typeof cursorSchema>;

/**
 * Hash that binds a cursor to the query it came from.
 * @example queryHash(identity) // '3f9a…' (16 hex)
 */
export function queryHash(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

/**
 * An opaque cursor (base64url JSON) for the page after `position`.
 * @example encodeCursor({ kind: 'traces', sort, order, fromNs, toNs, query, position })
 */
export function encodeCursor(c: {
  kind: 'traces' | 'spans';
  sort: SortKey;
  order: SortOrder;
  fromNs: bigint;
  toNs: bigint;
  query: string;
  position: PagePosition;
}): string {
  const body: PageCursor = {
    kind: c.kind,
    sort: c.sort,
    order: c.order,
    fromNs: c.fromNs.toString(),
    toNs: c.toNs.toString(),
    query: c.query,
    value: c.position.value,
    traceId: c.position.traceId,
    ...(c.position.spanId !== undefined ? { spanId: c.position.spanId } : {}),
  };
  return codec.encode(body);
}

/**
 * The cursor's content, or undefined when it is not one llmp made.
 * @example decodeCursor(c.req.query('cursor') ?? '')
 */
export function decodeCursor(text: string): PageCursor | undefined {
  return codec.decode(text);
}
