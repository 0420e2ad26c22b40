import type { LogSearch } from '@llmp/clickhouse';
import { Hono } from 'hono';
import { z } from 'zod';
import { problem } from './problem.ts';
import { pageRange, rangedPage } from './timeRangePage.ts';

const severities: Record<string, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

/** Query string of `GET /v1/logs`; strict, so a misspelt filter is an error, not a wider search. */
export const logsParams = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/)
    .optional(),
  spanId: z
    .string()
    .regex(/^[0-9a-fA-F]{16}$/)
    .optional(),
  service: z.string().min(1).max(1024).optional(),
  eventName: z.string().min(1).max(1024).optional(),
  jobId: z.string().min(1).max(1024).optional(),
  /** Lowest severity: a level name (trace … fatal) or an OTLP SeverityNumber (1–24). */
  severity: z
    .union([z.enum(Object.keys(severities) as [string, ...string[]]), z.coerce.number().int().min(1).max(24)])
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2048).optional(),
});

/**
 * `GET /logs` (to mount under `/v1`): the project's OTLP log records, newest first, filtered by
 * trace, span, service, event, job, time range and lowest severity; one `Page<T>` per call, the
 * time range fixed by the first page's cursor.
 * @example app.route('/v1', logsRoutes({ logs: storeLogSearch(store), projectOf }));
 */
export function logsRoutes({
  logs,
  projectOf,
  now = () => BigInt(Date.now()) * 1_000_000n,
}: {
  logs: LogSearch;
  projectOf: (request: Request) => string;
  now?: () => bigint;
}): Hono {
  const app = new Hono();
  app.get('/logs', async (c) => {
    const parsed = logsParams.safeParse(c.req.query());
    if (!parsed.success)
      return problem(
        c,
        400,
        'Invalid logs query',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`).join('; '),
      );
    const q = parsed.data;
    const range = pageRange(q, now);
    if (!range) return problem(c, 400, 'Invalid cursor', 'cursor is not one this API issued');
    const severity = q.severity === undefined ? undefined : (severities[q.severity] ?? Number(q.severity));
    const result = await logs.logs(
      projectOf(c.req.raw),
      {
        fromNs: range.fromNs,
        toNs: range.toNs,
        traceId: q.traceId,
        spanId: q.spanId,
        service: q.service,
        eventName: q.eventName,
        jobId: q.jobId,
        minSeverity: severity,
      },
      { limit: q.limit, after: range.after },
    );
    return c.json(rangedPage(result, range));
  });
  return app;
}
