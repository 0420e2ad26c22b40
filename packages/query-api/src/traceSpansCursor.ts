import { cursorCodec } from '@llmp/pipeline';
import { z } from 'zod';

/** Spans a trace read answers with at most, and by default: a page of a huge trace. */
export const maxTraceSpans = 10_000;

const cursorSchema = z.strictObject({
  /** The trace the cursor continues: a cursor of one trace is refused for another. */
  traceId: z.string().length(32),
  /** Start (Unix ns, Int64 text) and id of the last span of the page before. */
  startNs: z.string().regex(/^-?\d{1,19}$/),
  spanId: z.string().max(32),
});

/**
 * The opaque cursor of `GET /v1/traces/{traceId}`: where the next part of a trace's spans
 * begins, in (start, span id) order.
 * @example traceSpansCursor.encode({ traceId, startNs: '1717286400000000000', spanId: 'a1b2c3d4e5f60718' })
 */
export const traceSpansCursor = cursorCodec(cursorSchema);
