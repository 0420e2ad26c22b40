import type { LogSearch, MetricPointSearch, SpanSearch, StoredSpan, TraceSpanPage } from '@llmp/clickhouse';
import type { JobStore } from '@llmp/jobs';
import type { Authenticate, Logger, Registry } from '@llmp/pipeline';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { apiDocsRoutes } from './apiDocsRoutes.ts';
import { jobsOpenApiPaths } from './jobsOpenApiPaths.ts';
import { jobsRoutes } from './jobsRoutes.ts';
import { logsOpenApiPaths } from './logsOpenApi.ts';
import { logsRoutes } from './logsRoutes.ts';
import { openApiDocument } from './openApiDocument.ts';
import { taggedDocument } from './openApiTags.ts';
import { otelMetricsOpenApiPaths } from './otelMetricsOpenApi.ts';
import { otelMetricsRoutes } from './otelMetricsRoutes.ts';
import { problem } from './problem.ts';
import { projectOf as callerProject, keepCaller } from './projectOf.ts';
import { requireCaller } from './requireCaller.ts';
import { retryAfter } from './retryAfter.ts';
import { searchRoutes } from './searchRoutes.ts';
import { templateSpansRoutes } from './templateSpansRoutes.ts';
import { traceOutlineOpenApiPaths } from './traceOutlineOpenApi.ts';
import { type TraceOutlineSource, traceOutlineRoutes } from './traceOutlineRoutes.ts';
import { traceSpansBody } from './traceSpansBody.ts';
import { maxTraceSpans, traceSpansCursor } from './traceSpansCursor.ts';
import { uiRoutes } from './uiRoutes.ts';
import { withBearerSecurity } from './withBearerSecurity.ts';
import { withRetryableAnswers } from './withRetryableAnswers.ts';

/** What the query API reads; implemented over ClickHouse in cmd/, in memory in unit tests. */
export interface TraceSource {
  /** A trace's spans, oldest first; with `page`, at most `page.limit` of them after `page.after`. */
  readTrace(projectId: string, traceId: string, page?: TraceSpanPage): Promise<StoredSpan[]>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Trace / span search and metrics; without it those routes are not served. */
  search?: SpanSearch;
  /** OTLP log record search (`GET /v1/logs`); not served without it. */
  logs?: LogSearch;
  /** OTLP metric data point search (`GET /v1/otel-metrics`); not served without it. */
  metricPoints?: MetricPointSearch;
  /** A trace's outline and single spans (`/v1/traces/{id}/outline`, `…/spans/{spanId}`), for the UI. */
  readTraceOutline?: TraceOutlineSource['readTraceOutline'];
  readSpan?: TraceOutlineSource['readSpan'];
}

/** Trace deletion and its downstream sync (MLflow); the routes exist only when it is given. */
export interface TraceDeletion {
  /** Removes the trace from the store and queues its removal downstream; false when nothing knew it. */
  deleteTrace(projectId: string, traceId: string): Promise<boolean>;
  /** Where the trace stands downstream (e.g. `{ state: 'uploaded' }`); undefined when unknown. */
  syncState(
    projectId: string,
    traceId: string,
  ): Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;
}

export interface QueryAppOptions {
  source: TraceSource;
  deletion?: TraceDeletion | undefined;
  logger?: Logger;
  /** Checks API keys on every `/v1/*` and `/api/*` route; open access (project `default`) when absent. */
  authenticate?: Authenticate;
  /** Served at `/metrics` in the Prometheus text format when given. */
  registry?: Registry;
  /** The caller's project; by default the one `requireCaller` resolved from the API key. */
  projectOf?: (request: Request) => string;
  /** Readiness behind `/readyz`: the process's checks (store, Kafka …); the store's ping when absent. */
  ready?: () => Promise<void>;
  /** Serves the `/v1/jobs` routes (and the auto_eval status route) when given. */
  jobs?: JobStore;
  /** The built web UI served at `/` (packages/ui/dist/site by default). */
  uiDir?: string;
  /** The build's version, shown by `/healthz`. */
  version?: string;
  /**
   * Runs before every `/v1/*` and `/api/*` request: the embedded store derives the spans it
   * stored and has not derived yet (flushDerives), so a read right after a sender's answer sees them.
   */
  beforeRead?: () => Promise<void>;
}

const traceIdPattern = /^[0-9a-fA-F]{32}$/;

/**
 * The query API as a Hono app: `/v1/traces/{traceId}`, `/healthz`, `/readyz`, `/openapi.json`.
 * @example const app = queryApp({ source }); const res = await app.request('/v1/traces/…');
 */
export function queryApp({
  source,
  logger,
  authenticate,
  registry,
  projectOf = callerProject,
  jobs,
  deletion,
  ready = () => source.ping(),
  version,
  uiDir,
  beforeRead,
}: QueryAppOptions): Hono {
  const app = new Hono();
  // Tenancy: every data route sits under these prefixes; new routes inherit the check.
  app.use('/v1/*', requireCaller(authenticate));
  app.use('/api/*', requireCaller(authenticate));
  // Bounded like every other resource: API request bodies (job definitions, searches) stay small.
  const limit = bodyLimit({
    maxSize: 1024 ** 2,
    onError: (c) => problem(c, 413, 'Body too large', 'request bodies are limited to 1 MiB'),
  });
  app.use('/v1/*', limit, keepCaller);
  app.use('/api/*', limit, keepCaller);
  if (beforeRead) {
    const derived = async (_c: unknown, next: () => Promise<void>) => {
      await beforeRead();
      await next();
    };
    app.use('/v1/*', derived);
    app.use('/api/*', derived);
  }

  app.get('/healthz', (c) => c.json({ status: 'ok', ...(version ? { version } : {}) }));
  app.get('/readyz', async (c) => {
    try {
      await ready();
      return c.json({ status: 'ready' });
    } catch (error) {
      return c.json({ status: 'unavailable', reason: (error as Error).message }, 503, {
        'retry-after': retryAfter,
      });
    }
  });
  const document = withBearerSecurity(
    withRetryableAnswers(
      taggedDocument({
        ...openApiDocument,
        paths: {
          ...openApiDocument.paths,
          ...(source.logs ? logsOpenApiPaths() : {}),
          ...(jobs ? jobsOpenApiPaths() : {}),
          ...(source.metricPoints ? otelMetricsOpenApiPaths() : {}),
          ...(source.readTraceOutline && source.readSpan ? traceOutlineOpenApiPaths() : {}),
        },
      }),
    ),
  );
  app.get('/openapi.json', (c) => c.json(document));
  app.route('/', apiDocsRoutes());
  if (jobs) app.route('/', jobsRoutes({ jobs, projectOf }));
  if (registry) {
    app.get('/metrics', async (c) =>
      c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
    );
  }

  app.get('/v1/traces/:traceId', async (c) => {
    const traceId = c.req.param('traceId');
    if (!traceIdPattern.test(traceId)) {
      return problem(c, 400, 'Invalid trace id', `"${traceId}" is not 32 hexadecimal characters`);
    }
    const id = traceId.toLowerCase();
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? maxTraceSpans : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxTraceSpans) {
      return problem(c, 400, 'Invalid limit', `limit must be an integer from 1 to ${maxTraceSpans}`);
    }
    const cursorText = c.req.query('cursor');
    const cursor = cursorText === undefined ? undefined : traceSpansCursor.decode(cursorText);
    if (cursorText !== undefined && cursor?.traceId !== id) {
      return problem(c, 400, 'Invalid cursor', 'the cursor is not one this trace read answered with');
    }
    const projectId = projectOf(c.req.raw);
    // Every read is bounded: one span more than the part says whether another follows. Without
    // limit or cursor the part is the default (maxTraceSpans), so a trace up to that size still
    // comes whole, without next_cursor, as before parts existed; a bigger one comes in parts, as
    // Jaeger's and Tempo's trace reads are bounded (docs/benchmarks.md, "Huge traces").
    const read = await source.readTrace(projectId, id, {
      limit: limit + 1,
      after: cursor && { startNs: cursor.startNs, spanId: cursor.spanId },
    });
    if (read.length === 0 && !cursor)
      return problem(c, 404, 'Trace not found', `no trace ${traceId} in project ${projectId}`);
    const spans = read.slice(0, limit);
    const last = read.length > limit ? spans.at(-1) : undefined;
    const nextCursor =
      last && traceSpansCursor.encode({ traceId: id, startNs: last.startTimeUnixNano, spanId: last.spanId });
    return c.body(traceSpansBody({ traceId: id, spans, nextCursor }), 200, {
      'content-type': 'application/json',
    });
  });

  if (source.search) app.route('/v1', searchRoutes({ search: source.search, projectOf }));
  // Spans naming a template as their prompt (gen_ai.prompt.name): the span search, filtered.
  if (source.search && jobs)
    app.route('/', templateSpansRoutes({ jobs, projectOf, search: (request) => app.fetch(request) }));
  if (source.logs) app.route('/v1', logsRoutes({ logs: source.logs, projectOf }));
  if (source.metricPoints) app.route('/v1', otelMetricsRoutes({ points: source.metricPoints, projectOf }));
  const { readTraceOutline, readSpan } = source;
  if (readTraceOutline && readSpan)
    app.route(
      '/v1',
      traceOutlineRoutes({
        source: { readTraceOutline: readTraceOutline.bind(source), readSpan: readSpan.bind(source) },
        projectOf,
      }),
    );
  if (deletion) {
    app.delete('/v1/traces/:traceId', async (c) => {
      const traceId = c.req.param('traceId');
      if (!traceIdPattern.test(traceId)) {
        return problem(c, 400, 'Invalid trace id', `"${traceId}" is not 32 hexadecimal characters`);
      }
      const projectId = projectOf(c.req.raw);
      const id = traceId.toLowerCase();
      if (!(await deletion.deleteTrace(projectId, id)))
        return problem(c, 404, 'Trace not found', `no trace ${traceId} in project ${projectId}`);
      // Accepted: the store no longer has it; downstream removal follows (see /sync).
      return c.json(
        { traceId: id, deleted: true, sync: (await deletion.syncState(projectId, id)) ?? null },
        202,
      );
    });
    app.get('/v1/traces/:traceId/sync', async (c) => {
      const traceId = c.req.param('traceId');
      if (!traceIdPattern.test(traceId)) {
        return problem(c, 400, 'Invalid trace id', `"${traceId}" is not 32 hexadecimal characters`);
      }
      const projectId = projectOf(c.req.raw);
      const id = traceId.toLowerCase();
      const state = await deletion.syncState(projectId, id);
      if (!state) return problem(c, 404, 'No sync state', `no MLflow sync state for trace ${traceId}`);
      return c.json({ traceId: id, ...state });
    });
  }

  // Last: every other GET is the UI (its client routes), except under /v1 and /api.
  app.route('/', uiRoutes(uiDir ? { dir: uiDir } : {}));
  app.notFound((c) => problem(c, 404, 'Not found', `${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((error, c) => {
    logger?.error({ err: error, path: c.req.path }, 'query failed');
    return problem(c, 503, 'Store unavailable', 'the query could not be answered; try again');
  });
  return app;
}
