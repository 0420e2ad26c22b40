import type { MetricPointSearch, StoredMetricType } from '@llmp/clickhouse';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { problem } from './problem.ts';
import { pageRange, rangedPage } from './timeRangePage.ts';

const metricTypes = ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary'] as const;

/** Attribute filters one query may hold (README, Limits). */
export const maxAttributeFilters = 10;

/** Query string of `GET /v1/otel-metrics`; strict, so a misspelt filter is an error, not a wider search. */
export const otelMetricsParams = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** The metric name, e.g. `gen_ai.client.token.usage`. */
  name: z.string().min(1).max(1024).optional(),
  type: z.enum(metricTypes).optional(),
  service: z.string().min(1).max(1024).optional(),
  jobId: z.string().min(1).max(1024).optional(),
  /** `key=value` on the point's attributes; repeat for several (all must match). */
  attribute: z
    .string()
    .max(2048)
    .regex(/^[^=]+=/, 'use key=value')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2048).optional(),
});

/**
 * `GET /otel-metrics` and `GET /jobs/{id}/otel-metrics` (to mount under `/v1`): the project's OTLP
 * metric data points, newest first, filtered by metric name, type, service, job, time range and
 * point attributes; one `Page<T>` per call, the time range fixed by the first page's cursor.
 * Named after the otel_metrics_* tables: `GET /v1/metrics` is the span aggregates.
 * @example app.route('/v1', otelMetricsRoutes({ points: storeMetricPointSearch(store), projectOf }));
 */
export function otelMetricsRoutes({
  points,
  projectOf,
  now = () => BigInt(Date.now()) * 1_000_000n,
}: {
  points: MetricPointSearch;
  projectOf: (request: Request) => string;
  now?: () => bigint;
}): Hono {
  const app = new Hono();
  async function search(c: Context, jobId?: string) {
    const parsed = otelMetricsParams.safeParse(c.req.query());
    if (!parsed.success)
      return problem(
        c,
        400,
        'Invalid metrics query',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`).join('; '),
      );
    const q = parsed.data;
    const pairs = (c.req.queries('attribute') ?? []).map((text) => {
      const at = text.indexOf('=');
      return [text.slice(0, at), text.slice(at + 1)] as const;
    });
    if (pairs.length > maxAttributeFilters || pairs.some(([key, value]) => key === '' || value.length > 2048))
      return problem(
        c,
        400,
        'Invalid metrics query',
        `attribute: at most ${maxAttributeFilters} filters, each key=value`,
      );
    const range = pageRange(q, now);
    if (!range) return problem(c, 400, 'Invalid cursor', 'cursor is not one this API issued');
    const result = await points.points(
      projectOf(c.req.raw),
      {
        fromNs: range.fromNs,
        toNs: range.toNs,
        type: q.type as StoredMetricType | undefined,
        name: q.name,
        service: q.service,
        jobId: jobId ?? q.jobId,
        attributes: pairs,
      },
      { limit: q.limit, after: range.after },
    );
    return c.json(rangedPage(result, range));
  }
  app.get('/otel-metrics', (c) => search(c));
  app.get('/jobs/:id/otel-metrics', (c) => {
    const id = c.req.param('id');
    if (id.length === 0 || id.length > 1024)
      return problem(c, 400, 'Invalid job id', 'a job id is 1 to 1024 characters');
    return search(c, id);
  });
  return app;
}
