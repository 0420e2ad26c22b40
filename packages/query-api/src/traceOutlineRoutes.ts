import type { StoredSpan, TraceOutline } from '@llmp/clickhouse';
import { Hono } from 'hono';
import { z } from 'zod';
import { problem } from './problem.ts';

/** What the outline routes read. */
export interface TraceOutlineSource {
  readTraceOutline(projectId: string, traceId: string, limit: number): Promise<TraceOutline | undefined>;
  readSpan(projectId: string, traceId: string, spanId: string): Promise<StoredSpan | undefined>;
}

/** Spans an outline holds at most (README, Limits): ~23 MB of JSON at ~230 B a span. */
export const maxOutlineSpans = 100_000;

const traceIdPattern = /^[0-9a-fA-F]{32}$/;
const spanIdPattern = /^[0-9a-fA-F]{16}$/;
const outlineQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(maxOutlineSpans).default(maxOutlineSpans),
});

/**
 * `GET /traces/{traceId}/outline` and `GET /traces/{traceId}/spans/{spanId}` (to mount under
 * `/v1`): a trace's waterfall (each span's tree place, timing, status and usage, no attributes)
 * and one whole span, so a page shows a 30 000-span trace without reading every attribute map.
 * @example app.route('/v1', traceOutlineRoutes({ source, projectOf }));
 */
export function traceOutlineRoutes({
  source,
  projectOf,
}: {
  source: TraceOutlineSource;
  projectOf: (request: Request) => string;
}): Hono {
  const app = new Hono();
  const badTrace = (traceId: string) => `"${traceId.slice(0, 64)}" is not 32 hexadecimal characters`;

  app.get('/traces/:traceId/outline', async (c) => {
    const traceId = c.req.param('traceId');
    if (!traceIdPattern.test(traceId)) return problem(c, 400, 'Invalid trace id', badTrace(traceId));
    const query = outlineQuery.safeParse(c.req.query());
    if (!query.success)
      return problem(c, 400, 'Invalid query', query.error.issues.map((i) => i.message).join('; '));
    const projectId = projectOf(c.req.raw);
    const outline = await source.readTraceOutline(projectId, traceId.toLowerCase(), query.data.limit);
    if (!outline) return problem(c, 404, 'Trace not found', `no trace ${traceId} in project ${projectId}`);
    return c.json(outline);
  });

  app.get('/traces/:traceId/spans/:spanId', async (c) => {
    const traceId = c.req.param('traceId');
    const spanId = c.req.param('spanId');
    if (!traceIdPattern.test(traceId)) return problem(c, 400, 'Invalid trace id', badTrace(traceId));
    if (!spanIdPattern.test(spanId))
      return problem(c, 400, 'Invalid span id', `"${spanId.slice(0, 64)}" is not 16 hexadecimal characters`);
    const projectId = projectOf(c.req.raw);
    const span = await source.readSpan(projectId, traceId.toLowerCase(), spanId.toLowerCase());
    if (!span)
      return problem(
        c,
        404,
        'Span not found',
        `no span ${spanId} of trace ${traceId} in project ${projectId}`,
      );
    return c.json(span);
  });

  return app;
}
