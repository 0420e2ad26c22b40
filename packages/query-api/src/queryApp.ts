import type { StoredSpan } from '@llmp/clickhouse';
import type { Authenticate, Logger, Registry } from '@llmp/pipeline';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { openApiDocument } from './openApiDocument.ts';
import { problem } from './problem.ts';
import { projectOf as callerProject } from './projectOf.ts';
import { requireCaller } from './requireCaller.ts';

/** What the query API reads; implemented over ClickHouse in cmd/, in memory in unit tests. */
export interface TraceSource {
  readTrace(projectId: string, traceId: string): Promise<StoredSpan[]>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
}

export interface QueryAppOptions {
  source: TraceSource;
  logger?: Logger;
  /** Checks API keys on every `/v1/*` and `/api/*` route; open access (project `default`) when absent. */
  authenticate?: Authenticate;
  /** Served at `/metrics` in the Prometheus text format when given. */
  registry?: Registry;
  /** The caller's project; by default the one `requireCaller` resolved from the API key. */
  projectOf?: (request: Request) => string;
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
  app.use('/v1/*', limit);
  app.use('/api/*', limit);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await source.ping();
      return c.json({ status: 'ready' });
    } catch (error) {
      return c.json({ status: 'unavailable', reason: (error as Error).message }, 503);
    }
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument));
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
    const projectId = projectOf(c.req.raw);
    const spans = await source.readTrace(projectId, traceId.toLowerCase());
    if (spans.length === 0)
      return problem(c, 404, 'Trace not found', `no trace ${traceId} in project ${projectId}`);
    return c.json({ traceId: traceId.toLowerCase(), spans });
  });

  app.notFound((c) => problem(c, 404, 'Not found', `${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((error, c) => {
    logger?.error({ err: error, path: c.req.path }, 'query failed');
    return problem(c, 503, 'Store unavailable', 'the query could not be answered; try again');
  });
  return app;
}
